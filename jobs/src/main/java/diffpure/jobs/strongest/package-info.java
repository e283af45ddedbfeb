/**
 * The strongest evidence per sample across every run, rescore and attack of a threat setting: each
 * sample's image with the fewest correct recorded votes, judged by fresh votes.
 */
package diffpure.jobs.strongest;
