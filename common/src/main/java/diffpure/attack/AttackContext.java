package diffpure.attack;

/**
 * Where an attack's randomness and model draws come from. Random starts and proposals use noise
 * keys (run seed, sample id, ATTACK_INIT / ATTACK_SEARCH, draw); the model's own draws
 * (purification noise) use draw indices from {@link #draw(long)}. Each stage of a composition gets
 * its own disjoint range of draw indices.
 *
 * @param runSeed seed of the run, for the attack's own noise keys
 * @param stage which attack of a composition (0 for a top-level attack), 0 .. 4095
 */
public record AttackContext(long runSeed, int stage) {
    /** Draw indices available to one stage. */
    public static final long DRAWS_PER_STAGE = 1L << 20;

    public AttackContext {
        if (stage < 0 || stage >= 4096) {
            throw new IllegalArgumentException("attack stage must be in [0, 4096), found " + stage);
        }
    }

    /** A top-level context. */
    public static AttackContext of(long runSeed) {
        return new AttackContext(runSeed, 0);
    }

    /** The context of member j of a composition run in this context. */
    public AttackContext child(int j) {
        return new AttackContext(runSeed, stage * 8 + 1 + j);
    }

    /** The same seed in another stage (sanity-check reruns). */
    public AttackContext withStage(int newStage) {
        return new AttackContext(runSeed, newStage);
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
