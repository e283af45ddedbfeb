/**
 * Evaluation data sets behind one interface ({@link diffpure.data.ImageDataset}): stable sample
 * ids, labels, images as float [C, H, W] in [0, 1], read through Hadoop file systems; and the
 * seeded subset rule.
 */
package diffpure.data;
