package diffpure.data;

/**
 * One evaluation sample.
 *
 * @param id stable id (the index in the source file unless the format has its own ids)
 * @param label class label in [0, classes)
 * @param image float [C * H * W] in [0, 1], channel-major
 */
public record Sample(long id, int label, float[] image) {}
