package diffpure.jobs.report;

import static diffpure.jobs.report.UntrustedText.html;

import diffpure.eval.Metric;
import diffpure.jobs.store.SampleFacts;
import diffpure.jobs.store.SamplesTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The report's gallery: per defence (a setting without its attack: data, models, purifier, threat
 * model, K), the gallery samples (report.gallery-samples, schema 4) that exactly one attack broke
 * and the hardest ones no attack broke, each with its clean image, the adversarial image, the
 * perturbation magnified, one purified copy of each and their votes. The report runs no models: the
 * runs stored these pictures. Broken means robust under majority vote lost: the clean majority
 * right, the adversarial majority wrong (the settings table's metric); of an attack's runs of a
 * defence, the one with the fewest correct adversarial votes on the sample speaks for it.
 */
final class Gallery {
    /** The column whose presence says a samples table has gallery pictures. */
    static final String COLUMN = SamplesTable.GALLERY_CLEAN.name();

    /** Panels of each kind per defence, at most. */
    static final int PER_KIND = 6;

    /** A defence: the setting's columns but the attack. */
    private static final List<String> DEFENCE =
            Setting.COLUMNS.stream().filter(c -> !c.equals("attack")).toList();

    private Gallery() {}

    /**
     * One sample's pictures, channel-major float pixels in [0, 1].
     *
     * @param shape [C, H, W]
     * @param clean the clean image
     * @param perturbation adversarial - clean
     * @param purifiedClean one purified copy of the clean image (the first clean vote's keys)
     * @param purifiedAdversarial one purified copy of the adversarial image
     */
    record Pictures(
            int[] shape,
            float[] clean,
            float[] perturbation,
            float[] purifiedClean,
            float[] purifiedAdversarial) {
        /** The adversarial image. */
        float[] adversarial() {
            float[] a = new float[clean.length];
            for (int i = 0; i < a.length; i++) {
                a[i] = clean[i] + perturbation[i];
            }
            return a;
        }
    }

    /**
     * What a panel says of its sample: the attack and run whose image it shows, the K votes on the
     * clean and the adversarial image, and the labels of the two purified copies shown.
     */
    record Verdicts(
            String attack,
            String runId,
            int[] cleanVotes,
            int[] adversarialVotes,
            int purifiedCleanLabel,
            int purifiedAdversarialLabel) {}

    /**
     * One panel.
     *
     * @param sampleId the sample
     * @param label its label
     * @param why "only this attack broke it" or "no attack broke it"
     * @param pictures what is shown
     * @param verdicts the votes beside it
     */
    record Panel(long sampleId, int label, String why, Pictures pictures, Verdicts verdicts) {}

    /** The panels of one defence, its label first. */
    record Section(String defence, List<String> attacks, List<Panel> panels) {}

    /** The gallery of the tables, empty when they hold no gallery pictures. */
    static List<Section> of(SparkSession spark, Set<String> samplesColumns) {
        if (!samplesColumns.contains(COLUMN)) {
            return List.of();
        }
        List<Row> rows =
                spark.table(ReportTables.VIEWS.samples())
                        .where(functions.col(COLUMN).isNotNull())
                        .where(functions.col("error").isNull())
                        .orderBy("sample_id", "run_id")
                        .collectAsList();
        Map<String, Map<Long, Map<String, Row>>> byDefence = new TreeMap<>();
        for (Row r : rows) {
            byDefence
                    .computeIfAbsent(defence(r), k -> new TreeMap<>())
                    .computeIfAbsent(SamplesTable.SAMPLE_ID.of(r), k -> new TreeMap<>())
                    .merge(SamplesTable.ATTACK.of(r), r, Gallery::stronger);
        }
        List<Section> out = new ArrayList<>();
        byDefence.forEach((d, samples) -> out.add(section(d, samples)));
        return out;
    }

    private static Section section(String defence, Map<Long, Map<String, Row>> samples) {
        List<Panel> onlyOne = new ArrayList<>();
        List<Row> robust = new ArrayList<>();
        SortedSet<String> attacks = new TreeSet<>();
        for (Map<String, Row> byAttack : samples.values()) {
            attacks.addAll(byAttack.keySet());
            List<Row> broke = new ArrayList<>();
            Row hardest = null;
            for (Row r : byAttack.values()) {
                if (broken(r)) {
                    broke.add(r);
                } else if (hardest == null || correctShare(r) < correctShare(hardest)) {
                    hardest = r;
                }
            }
            if (broke.size() == 1 && byAttack.size() > 1 && onlyOne.size() < PER_KIND) {
                onlyOne.add(
                        panel(
                                broke.get(0),
                                "only " + SamplesTable.ATTACK.of(broke.get(0)) + " broke it"));
            } else if (broke.isEmpty() && hardest != null && cleanRight(hardest)) {
                robust.add(hardest);
            }
        }
        // The hardest robust ones: the fewest correct adversarial votes first (stable on ties).
        robust.sort(Comparator.comparingDouble(Gallery::correctShare));
        List<Panel> panels = new ArrayList<>(onlyOne);
        for (Row r : robust.subList(0, Math.min(PER_KIND, robust.size()))) {
            panels.add(panel(r, "no attack broke it"));
        }
        return new Section(defence, List.copyOf(attacks), panels);
    }

    /** Of two runs of one attack, the one with fewer correct adversarial votes (ties: run id). */
    private static Row stronger(Row a, Row b) {
        int c = Double.compare(correctShare(a), correctShare(b));
        if (c != 0) {
            return c < 0 ? a : b;
        }
        return SamplesTable.RUN_ID.of(a).compareTo(SamplesTable.RUN_ID.of(b)) >= 0 ? a : b;
    }

    private static String defence(Row r) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (String c : DEFENCE) {
            v.put(c, r.getAs(c));
        }
        return String.format(
                Locale.ROOT,
                "%s, %s eps %s, %s t*=%s (%s steps), classifier %s, score model %s, K=%s",
                v.get("dataset"),
                v.get("norm"),
                Setting.epsText((Double) v.get("eps")),
                v.get("purifier"),
                Setting.trim((Double) v.get("t_star")),
                v.get("steps"),
                v.get("classifier"),
                v.get("score_model"),
                v.get("votes"));
    }

    private static boolean cleanRight(Row r) {
        return Metric.MAJORITY.votes(SamplesTable.CLEAN_VOTES.of(r), SamplesTable.LABEL.of(r)) == 1;
    }

    private static boolean broken(Row r) {
        return cleanRight(r)
                && Metric.MAJORITY.votes(
                                SamplesTable.ADVERSARIAL_VOTES.of(r), SamplesTable.LABEL.of(r))
                        == 0;
    }

    private static double correctShare(Row r) {
        return Metric.MEAN.votes(SamplesTable.ADVERSARIAL_VOTES.of(r), SamplesTable.LABEL.of(r));
    }

    private static Panel panel(Row r, String why) {
        SampleFacts.Gallery g = SamplesTable.gallery(r);
        return new Panel(
                SamplesTable.SAMPLE_ID.of(r),
                SamplesTable.LABEL.of(r),
                why,
                new Pictures(
                        g.shape(),
                        g.clean(),
                        SamplesTable.PERTURBATION.of(r),
                        g.purifiedClean(),
                        g.purifiedAdversarial()),
                new Verdicts(
                        SamplesTable.ATTACK.of(r),
                        SamplesTable.RUN_ID.of(r),
                        SamplesTable.CLEAN_VOTES.of(r),
                        SamplesTable.ADVERSARIAL_VOTES.of(r),
                        g.purifiedCleanPrediction(),
                        g.purifiedAdversarialPrediction()));
    }

    /** The gallery's HTML: one table per defence, one row per panel. */
    static void appendHtml(StringBuilder b, List<Section> sections) {
        if (sections.isEmpty()) {
            return;
        }
        b.append("<h2 id=\"gallery\">Gallery</h2>\n<p>Per defence, the gallery samples")
                .append(" (<code>report.gallery-samples</code>) that exactly one attack broke")
                .append(" (majority of K) and the hardest ones none broke (fewest correct")
                .append(" adversarial votes first). Purified copies: the first vote's draw, stored")
                .append(" by the run. The perturbation is shown magnified around mid-gray by the")
                .append(" factor in its caption.</p>\n");
        for (Section s : sections) {
            b.append("<h3>")
                    .append(html(s.defence()))
                    .append("</h3>\n<p>Attacks: ")
                    .append(html(String.join(", ", s.attacks())))
                    .append(". ");
            if (s.panels().isEmpty()) {
                b.append("No gallery sample was broken by exactly one attack, and none is robust")
                        .append(" under every attack.</p>\n");
                continue;
            }
            b.append("</p>\n<table><tr><th>sample</th><th>clean</th><th>adversarial</th>")
                    .append("<th>perturbation</th><th>purified clean</th>")
                    .append("<th>purified adversarial</th><th>votes (K)</th></tr>\n");
            for (Panel p : s.panels()) {
                row(b, p);
            }
            b.append("</table>\n");
        }
    }

    private static void row(StringBuilder b, Panel p) {
        Pictures pic = p.pictures();
        Verdicts v = p.verdicts();
        double largest = 0;
        for (float d : pic.perturbation()) {
            largest = Math.max(largest, Math.abs(d));
        }
        double gain = largest > 0 ? 0.5 / largest : 1;
        float[] magnified = new float[pic.perturbation().length];
        for (int i = 0; i < magnified.length; i++) {
            magnified[i] = (float) (0.5 + gain * pic.perturbation()[i]);
        }
        b.append("<tr><td>")
                .append(p.sampleId())
                .append(" (label ")
                .append(p.label())
                .append(")<br>")
                .append(html(p.why()))
                .append("<br>")
                .append(html(v.attack()))
                .append(", run <code>")
                .append(html(v.runId()))
                .append("</code></td>");
        cell(b, p, "clean", pic.clean(), "label " + p.label());
        cell(b, p, "adversarial", pic.adversarial(), html(v.attack()));
        cell(b, p, "perturbation", magnified, String.format(Locale.ROOT, "x%.1f", gain));
        cell(b, p, "purified-clean", pic.purifiedClean(), "classified " + v.purifiedCleanLabel());
        cell(
                b,
                p,
                "purified-adversarial",
                pic.purifiedAdversarial(),
                "classified " + v.purifiedAdversarialLabel());
        b.append("<td>clean ")
                .append(html(java.util.Arrays.toString(v.cleanVotes())))
                .append("<br>adversarial ")
                .append(html(java.util.Arrays.toString(v.adversarialVotes())))
                .append("</td></tr>\n");
    }

    private static void cell(
            StringBuilder b, Panel p, String kind, float[] pixels, String caption) {
        b.append("<td><img class=\"gallery\" data-sample=\"")
                .append(p.sampleId())
                .append("\" data-kind=\"")
                .append(kind)
                .append("\" alt=\"")
                .append(kind)
                .append(" image of sample ")
                .append(p.sampleId())
                .append("\" src=\"data:image/png;base64,")
                .append(GalleryImages.png(pixels, p.pictures().shape()))
                .append("\"><br>")
                .append(caption)
                .append("</td>");
    }
}
