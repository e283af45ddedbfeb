/**
 * The entry point, {@link diffpure.jobs.Main}: the {@code diffpure} command line, whose verbs live
 * in {@code diffpure.jobs.cli} (and {@code bench} in {@code diffpure.jobs.bench}). Thin: parse
 * options, build the objects from diffpure-common, run, print.
 */
package diffpure.jobs;
