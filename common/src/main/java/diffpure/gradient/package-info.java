/**
 * Gradient modes: the input gradient of (classifier o purifier) by stored states, checkpoints, the
 * adjoint reconstruction, full backprop or BPDA, behind one interface; EOT averaging and
 * micro-batching on top.
 */
package diffpure.gradient;
