package diffpure.jobs.cli;

import diffpure.attack.AttackResult;
import diffpure.gradient.TargetModel;
import diffpure.noise.Purpose;
import diffpure.torch.PtAutograd;
import java.util.Locale;

/**
 * The re-evaluated AutoAttack's figure (ADDT's: the mean over samples of each chosen image's
 * correct share among the R classifications that chose it) and, beside it, R fresh votes of the
 * same images (mean share and majority): the first is biased low, as the same draws select and
 * score the image.
 */
final class ReEvaluatedFigures {
    private final int r;
    private double shares;
    private double freshShares;
    private int freshMajority;

    ReEvaluatedFigures(int r) {
        this.r = r;
    }

    void add(AttackResult result, TargetModel target, long[] ids, int[] labels) {
        if (r == 0) {
            return;
        }
        for (double s : result.reEvaluatedShares()) {
            shares += s;
        }
        long[] pred;
        try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            // draw 1 of the scoring purpose: the single-vote columns use draw 0
            pred =
                    target.logits(result.adversarial(), ids, Purpose.VOTE_ADVERSARIAL, 1, r)
                            .argMax(2)
                            .toLongArray();
        }
        for (int i = 0; i < ids.length; i++) {
            int correct = 0;
            for (int m = 0; m < r; m++) {
                correct += pred[i * r + m] == labels[i] ? 1 : 0;
            }
            freshShares += (double) correct / r;
            freshMajority += 2 * correct > r ? 1 : 0;
        }
    }

    void print(int count) {
        if (r == 0) {
            return;
        }
        System.out.printf(
                Locale.ROOT,
                "re-evaluated robust accuracy %.4f (ADDT: mean correct share over the %d"
                        + " classifications that chose each image; biased low, the same draws"
                        + " choose and score)%nfresh %d votes of the chosen images: mean share"
                        + " %.4f, majority %.4f%n",
                shares / count,
                r,
                r,
                freshShares / count,
                (double) freshMajority / count);
    }
}
