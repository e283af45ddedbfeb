package diffpure.noise;

/**
 * Why a random draw is made; part of every noise key, so streams for different purposes never
 * overlap.
 */
public enum Purpose {
    /** Forward diffusion and reverse-chain noise of a purification. */
    PURIFY,
    /** Purifications used for the K votes on the clean image. */
    VOTE_CLEAN,
    /** Purifications used for the K votes on the adversarial image. */
    VOTE_ADVERSARIAL,
    /** Random starts and restarts of attacks. */
    ATTACK_INIT,
    /** Random proposals of gradient-free attacks (Square). */
    ATTACK_SEARCH,
    /** Anything a test or a probe draws. */
    TEST,
    /**
     * Purifications for the fresh votes of a strongest-evidence pass: independent of every recorded
     * vote, so the votes that chose an image never judge it (appended last: the ordinal is part of
     * the noise key).
     */
    VOTE_FRESH
}
