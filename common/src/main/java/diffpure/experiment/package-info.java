/**
 * An experiment loaded for a run: {@code diffpure.config}'s plain records, with every strategy they
 * name (attack, gradient mode, purifier, data format) checked by the package that builds it.
 */
package diffpure.experiment;
