/**
 * Models behind two calling conventions (score models, classifiers): TorchScript loading with
 * manifests, sha256 and golden-probe checks, and small synthetic models built from tensor
 * operations for tests.
 */
package diffpure.model;
