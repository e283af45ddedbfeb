/**
 * Experiment configuration: HOCON (reference.conf, an experiment file, environment and command-line
 * overrides) parsed once, on the driver, into immutable serializable records.
 */
package diffpure.config;
