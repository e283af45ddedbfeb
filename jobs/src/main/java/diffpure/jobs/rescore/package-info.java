/**
 * Rescoring: fresh votes on the adversarial images a run stored, under the same or another
 * purifier, written to the rescores table through the chunk engine.
 */
package diffpure.jobs.rescore;
