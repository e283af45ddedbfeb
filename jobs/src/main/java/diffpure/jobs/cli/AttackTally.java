package diffpure.jobs.cli;

import diffpure.attack.AttackResult;
import java.util.List;
import java.util.Locale;

/** Counts, attack time and the per-sample CSV of one command run. */
final class AttackTally {
    final StringBuilder rows = new StringBuilder("id,label,clean_pred,adv_pred");
    int clean;
    int robust;
    long gradients;
    long attackNanos;
    final ReEvaluatedFigures reEvaluated;
    LoopProfile.Breakdown attackProfile;

    AttackTally(List<Integer> checkpoints, ReEvaluatedFigures reEvaluated) {
        this.reEvaluated = reEvaluated;
        for (int at : checkpoints) {
            rows.append(",adv_pred_at_").append(at).append(",gradients_at_").append(at);
        }
        rows.append('\n');
    }

    void add(
            int[] y,
            long[] ids,
            long[] cleanPred,
            long[] advPred,
            List<long[]> atPred,
            AttackResult result) {
        for (int i = 0; i < y.length; i++) {
            gradients += result.trace(i).gradients();
            rows.append(ids[i])
                    .append(',')
                    .append(y[i])
                    .append(',')
                    .append(cleanPred[i])
                    .append(',')
                    .append(advPred[i]);
            for (int c = 0; c < atPred.size(); c++) {
                rows.append(',')
                        .append(atPred.get(c)[i])
                        .append(',')
                        .append(result.checkpoints().get(c).gradients()[i]);
            }
            rows.append('\n');
            clean += cleanPred[i] == y[i] ? 1 : 0;
            robust += cleanPred[i] == y[i] && advPred[i] == y[i] ? 1 : 0;
        }
    }

    /** Progress per batch: images done, rate, ETA, robust so far. */
    void progress(int done, int count, long t0) {
        double elapsed = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "progress: %d/%d images, %.2f images/s, ETA %.0f s, robust so far %d/%d%n",
                done,
                count,
                done / elapsed,
                (count - done) / (done / elapsed),
                robust,
                done);
    }

    void summary(int count, double secs) {
        System.out.printf(
                Locale.ROOT,
                "clean accuracy %.4f (%d/%d)%nrobust accuracy %.4f (%d/%d)%nseconds %.1f%n"
                        + "input gradients %d (one image x one EOT copy each), %.2f per"
                        + " second of attack time%n",
                (double) clean / count,
                clean,
                count,
                (double) robust / count,
                robust,
                count,
                secs,
                gradients,
                gradients / (attackNanos / 1e9));
        reEvaluated.print(count);
        if (attackProfile != null) {
            System.out.print("first batch's attack, " + attackProfile.table());
        }
    }
}
