package diffpure.eval;

/**
 * The per-sample criteria of the protocol on K votes (predicted classes): single (vote 1), majority
 * (more than K/2 correct, ties wrong), mean (fraction correct), worst (all correct), any (at least
 * one correct). Worst &lt;= single, majority, mean &lt;= any holds for every sample, hence for
 * every accuracy.
 */
public final class Votes {
    private Votes() {}

    /** Number of votes equal to the label. */
    public static int correct(int[] votes, int label) {
        int c = 0;
        for (int v : votes) {
            c += v == label ? 1 : 0;
        }
        return c;
    }

    /** Whether the first vote is correct. */
    public static boolean single(int[] votes, int label) {
        requireVotes(votes);
        return votes[0] == label;
    }

    /** Whether more than half of the votes are correct (a tie is wrong). */
    public static boolean majority(int[] votes, int label) {
        requireVotes(votes);
        return 2 * correct(votes, label) > votes.length;
    }

    /** Fraction of correct votes. */
    public static double mean(int[] votes, int label) {
        requireVotes(votes);
        return correct(votes, label) / (double) votes.length;
    }

    /** Whether every vote is correct. */
    public static boolean worst(int[] votes, int label) {
        requireVotes(votes);
        return correct(votes, label) == votes.length;
    }

    /** Whether at least one vote is correct. */
    public static boolean any(int[] votes, int label) {
        requireVotes(votes);
        return correct(votes, label) > 0;
    }

    /** The most frequent class (smallest on ties). */
    public static int mode(int[] votes) {
        requireVotes(votes);
        int best = votes[0];
        int bestCount = 0;
        for (int v : votes) {
            int c = 0;
            for (int u : votes) {
                c += u == v ? 1 : 0;
            }
            if (c > bestCount || c == bestCount && v < best) {
                best = v;
                bestCount = c;
            }
        }
        return best;
    }

    private static void requireVotes(int[] votes) {
        if (votes.length == 0) {
            throw new IllegalArgumentException(
                    "the protocol needs at least one vote per image, found 0");
        }
    }
}
