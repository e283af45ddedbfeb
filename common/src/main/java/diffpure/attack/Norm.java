package diffpure.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** The perturbation norms attacks are bounded in. */
public enum Norm {
  /** Largest absolute pixel change. */
  LINF("Linf"),
  /** Euclidean length of the perturbation. */
  L2("L2");

  private final String label;

  Norm(String label) {
    this.label = label;
  }

  /** The spelling used in config, result rows and the reference code ("Linf", "L2"). */
  public String label() {
    return label;
  }

  /** The norm by its label, case-insensitive. */
  public static Norm byLabel(String name) {
    for (Norm n : values()) {
      if (n.label.equalsIgnoreCase(name.trim())) {
        return n;
      }
    }
    throw new IllegalArgumentException("attack.norm must be Linf or L2, found '" + name + "'");
  }

  /** Per-row norms of d float32[B, ...]: float32[B]. */
  public NDArray of(NDArray d) {
    try (NDManager scope = NDManager.subManagerOf(d)) {
      scope.tempAttachAll(d);
      NDArray flat = d.reshape(d.getShape().get(0), -1);
      NDArray n = this == LINF ? flat.abs().max(new int[] {1}) : flat.square().sum(new int[] {1}).sqrt();
      return scope.ret(n);
    }
  }

  /** Per-row norm of a host vector, in double precision. */
  public double of(float[] d, int offset, int length) {
    double acc = 0;
    for (int i = offset; i < offset + length; i++) {
      acc = this == LINF ? Math.max(acc, Math.abs(d[i])) : acc + (double) d[i] * d[i];
    }
    return this == LINF ? acc : Math.sqrt(acc);
  }

  /** d divided row by row by its norm plus 1e-12, as the reference's {@code normalize}. */
  public NDArray normalize(NDArray d) {
    try (NDManager scope = NDManager.subManagerOf(d)) {
      scope.tempAttachAll(d);
      return scope.ret(d.div(Tensors.perRow(of(d).add(1e-12f), d)));
    }
  }
}
