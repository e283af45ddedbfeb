package diffpure.jobs.evaluate;

/**
 * How often one executor JVM had loaded the models when it last reported (once each, when the
 * per-JVM cache works).
 *
 * @param executor Spark executor id
 * @param pid the JVM's process id
 * @param scoreModel score model loads
 * @param classifier classifier loads
 * @param perceptual perceptual model loads (model.perceptual; 0 for a run without one)
 */
public record ExecutorLoads(
        String executor, long pid, int scoreModel, int classifier, int perceptual) {}
