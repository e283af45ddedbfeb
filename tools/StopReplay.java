import diffpure.data.Subsets;
import diffpure.eval.Interval;
import diffpure.eval.Metric;
import diffpure.eval.StoppingRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Replays seeded stopping runs over one large `attack --per-sample` CSV (BENCHMARKS.md, "Stopping
 * rules on the analytic defence"): the CSV's N samples are the data set, each sample's robust
 * outcome (clean and adversarial vote right) is fixed, and each seed s plans them in the order of
 * a run with data.order = seeded and data.subset-seed = s (Subsets.inOrder), chunks of
 * run.chunk-samples, and stops them with the project's StoppingRule (without-replacement
 * sequence, N = the CSV's samples). The truth is the robust accuracy over all N.
 *
 * <p>Usage (from a built tree): java -cp common/target/classes:COMMONS_MATH3_JAR
 * tools/StopReplay.java CSV HALF_WIDTH SEEDS [CHUNK]
 */
public class StopReplay {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        double target = Double.parseDouble(args[1]);
        int seeds = Integer.parseInt(args[2]);
        int chunk = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int n = 0;
        double[] robust = new double[lines.size()];
        for (String l : lines) {
            String[] f = l.split(",");
            if (!f[0].matches("-?\\d+")) {
                continue; // header
            }
            int label = Integer.parseInt(f[1]);
            boolean ok = Integer.parseInt(f[2]) == label && Integer.parseInt(f[3]) == label;
            robust[n++] = ok ? 1 : 0;
        }
        robust = Arrays.copyOf(robust, n);
        double truth = Arrays.stream(robust).sum() / n;
        StoppingRule rule = new StoppingRule(Metric.SINGLE, target, 0);
        StoppingRule.Plan plan = new StoppingRule.Plan(chunk, n, n);
        int covered = 0;
        int[] used = new int[seeds];
        double widths = 0;
        double absError = 0;
        for (int s = 0; s < seeds; s++) {
            int[] order = Subsets.inOrder(n, n, s);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = robust[order[i]];
            }
            StoppingRule.Stop stop =
                    rule.end(new StoppingRule.Prefix(v, new long[n]), plan).orElseThrow();
            Interval iv = stop.interval();
            used[s] = stop.samples();
            boolean in = iv.lower() <= truth && truth <= iv.upper();
            covered += in ? 1 : 0;
            widths += (iv.upper() - iv.lower()) / 2;
            absError += Math.abs(iv.estimate() - truth);
            System.out.printf(
                    Locale.ROOT,
                    "seed %d: stopped (%s) at %d samples, %.4f [%.4f, %.4f]%s%n",
                    s,
                    stop.reason().key(),
                    stop.samples(),
                    iv.estimate(),
                    iv.lower(),
                    iv.upper(),
                    in ? "" : "  MISSES the truth");
        }
        int[] sorted = used.clone();
        Arrays.sort(sorted);
        System.out.printf(
                Locale.ROOT,
                "N %d, truth (robust over all N) %.4f; target half-width %.3f, chunks of %d, %d"
                        + " seeds%ncovered %d/%d (%.3f); samples used mean %.1f, min %d, median %d,"
                        + " max %d; mean half-width at the stop %.4f; mean |estimate - truth| %.4f;"
                        + " planning figure StoppingRule.samplesAt(truth) %d%n",
                n,
                truth,
                target,
                chunk,
                seeds,
                covered,
                seeds,
                covered / (double) seeds,
                Arrays.stream(used).average().orElse(0),
                sorted[0],
                sorted[seeds / 2],
                sorted[seeds - 1],
                widths / seeds,
                absError / seeds,
                rule.samplesAt(truth, n, n));
    }
}
