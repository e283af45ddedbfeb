package diffpure.config;

import java.io.Serializable;

/**
 * The gradient-masking checks every run makes on a subset of its samples ({@code sanity.*}; see
 * {@link diffpure.eval.GradientMaskingChecks}).
 *
 * @param subset how many planned samples (the first in plan order) the checks use; 0 turns them off
 * @param iterationFactor budget multiplier of the more-iterations rerun
 * @param epsFactor radius multiplier of the larger-eps rerun
 * @param squareQueries queries of the Square comparison
 * @param alpha one-sided level of the paired tests
 * @param unboundedMaxRobust largest robust accuracy an unbounded attack may leave
 * @param squareMargin how far below the attack's robust accuracy Square may go
 */
public record SanitySettings(
        int subset,
        double iterationFactor,
        double epsFactor,
        int squareQueries,
        double alpha,
        double unboundedMaxRobust,
        double squareMargin)
        implements Serializable {}
