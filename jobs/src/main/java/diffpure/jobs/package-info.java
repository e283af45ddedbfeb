/**
 * Entry points: the command line (purify, bench) and, later, the Spark drivers. Thin: parse
 * options, build the objects from diffpure-common, run, print.
 */
package diffpure.jobs;
