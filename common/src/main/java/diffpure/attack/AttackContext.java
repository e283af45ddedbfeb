package diffpure.attack;

/**
 * Where an attack's randomness and model draws come from, and when it counts a sample as broken.
 * Random starts and proposals use noise keys (run seed, sample id, ATTACK_INIT / ATTACK_SEARCH,
 * draw); the model's own draws (purification noise) use draw indices from {@link #draw(long)}. Each
 * stage of a composition gets its own disjoint range of draw indices.
 *
 * <p>Success rule: an evaluation of an iterate is a success when at least {@code successFraction}
 * of the EOT copies it computed are fooled (misclassified, or for a targeted run at the target);
 * with the default 1 every copy must be. One fooled draw of a randomized defence is no evidence.
 *
 * @param runSeed seed of the run, for the attack's own noise keys
 * @param stage which attack of a composition (0 for a top-level attack), 0 .. 4095
 * @param successFraction fraction of an evaluation's EOT copies that must be fooled, in (0, 1]
 *     ({@code attack.success-fraction})
 * @param checkpoints where the attack records its best iterate so far ({@code
 *     attack.budget-checkpoints}); recording changes no other result
 */
public record AttackContext(
        long runSeed, int stage, double successFraction, BudgetCheckpoints checkpoints) {
    /** Draw indices available to one stage. */
    public static final long DRAWS_PER_STAGE = 1L << 20;

    /** Number of stages. */
    public static final int STAGES = 4096;

    public AttackContext {
        if (stage < 0 || stage >= STAGES) {
            throw new IllegalArgumentException(
                    "attack stage must be in [0, " + STAGES + "), found " + stage);
        }
        if (!(successFraction > 0 && successFraction <= 1)) {
            throw new IllegalArgumentException(
                    "attack.success-fraction must be in (0, 1], found " + successFraction);
        }
        java.util.Objects.requireNonNull(checkpoints, "checkpoints");
    }

    /** A context without budget checkpoints. */
    public AttackContext(long runSeed, int stage, double successFraction) {
        this(runSeed, stage, successFraction, BudgetCheckpoints.NONE);
    }

    /** The same context recording the best iterate at these checkpoints. */
    public AttackContext withCheckpoints(BudgetCheckpoints c) {
        return new AttackContext(runSeed, stage, successFraction, c);
    }

    /** A top-level context where every copy must be fooled. */
    public static AttackContext of(long runSeed) {
        return new AttackContext(runSeed, 0, 1.0);
    }

    /** A top-level context with the given success fraction. */
    public static AttackContext of(long runSeed, double successFraction) {
        return new AttackContext(runSeed, 0, successFraction);
    }

    /**
     * The context of member j (0 .. 7) of a composition run in this context: stages form a tree
     * with 8 children per node, so nested compositions never share draws.
     *
     * @throws IllegalArgumentException when the tree is deeper than the stage range allows
     */
    public AttackContext child(int j) {
        if (j < 0 || j >= 8) {
            throw new IllegalArgumentException(
                    "a composition may have at most 8 members, member index " + j);
        }
        return new AttackContext(runSeed, stage * 8 + 1 + j, successFraction, checkpoints);
    }

    /** The same seed and rule in another stage (sanity-check reruns). */
    public AttackContext withStage(int newStage) {
        return new AttackContext(runSeed, newStage, successFraction, checkpoints);
    }

    /** Whether {@code fooled} of {@code copies} copies make a success. */
    public boolean isSuccess(int fooled, int copies) {
        // Compared in integers where possible: fooled / copies >= fraction.
        return copies > 0 && fooled >= Math.ceil(successFraction * copies - 1e-9);
    }

    /** The global draw index of this stage's local draw {@code local}. */
    public long draw(long local) {
        if (local < 0 || local >= DRAWS_PER_STAGE) {
            throw new IllegalArgumentException(
                    "an attack stage may use " + DRAWS_PER_STAGE + " draws, asked for " + local);
        }
        return stage * DRAWS_PER_STAGE + local;
    }
}
