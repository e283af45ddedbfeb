/**
 * The few places that talk to DJL's PyTorch engine below its public API: per-thread autograd (DJL's
 * GradientCollector is one per JVM), the per-thread libtorch thread count, and device selection.
 */
package diffpure.torch;
