/**
 * Evaluation data sets behind one interface: stable sample ids, labels, images as float [C, H, W] in [0, 1].
 */
package diffpure.data;
