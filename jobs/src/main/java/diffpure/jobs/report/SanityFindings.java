package diffpure.jobs.report;

import diffpure.eval.AdjointAgreement;
import diffpure.eval.GradientMaskingChecks;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's gradient-masking checks (the runs table's {@code sanity} JSON) as rows in words: which
 * check, what it measured, and whether it passed.
 */
final class SanityFindings {
    /**
     * One check.
     *
     * @param check what the check does, in words
     * @param measured what it measured, in words
     * @param warning the warning it raised, null when it passed
     */
    record Finding(String check, String measured, String warning) {}

    private SanityFindings() {}

    /** The rows of a run's sanity JSON; one row saying so when the text is not such JSON. */
    static List<Finding> of(String sanity) {
        GradientMaskingChecks.Report r;
        try {
            r = GradientMaskingChecks.Report.parse(sanity);
        } catch (IllegalArgumentException e) {
            return List.of(
                    new Finding(
                            "gradient-masking checks",
                            "the runs table's sanity column is not the checks' JSON ("
                                    + e.getMessage()
                                    + "): "
                                    + sanity,
                            null));
        }
        List<Finding> out = new ArrayList<>();
        for (GradientMaskingChecks.Check c : r.checks()) {
            out.add(new Finding(title(c.name()), measured(c, r.subset()), c.warning()));
        }
        if (r.adjoint() != null) {
            out.add(adjoint(r.adjoint()));
        }
        return out;
    }

    private static String title(String name) {
        return switch (name) {
            case "zero-gradients" -> "all-zero input gradients";
            case "more-iterations" -> "more attack iterations";
            case "larger-eps" -> "larger eps";
            case "unbounded" -> "unbounded eps";
            case "square" -> "Square (no gradients)";
            default -> name;
        };
    }

    private static String measured(GradientMaskingChecks.Check c, int subset) {
        Map<String, Object> m = c.measured();
        if (m.containsKey("skipped")) {
            return "skipped: " + m.get("skipped");
        }
        return switch (c.name()) {
            case "zero-gradients" ->
                    words(
                            "%s of %s samples met an all-zero input gradient",
                            m.get("samples_with_zero_gradients"), m.get("samples"));
            case "more-iterations", "larger-eps" ->
                    words(
                            "robust %s as run, %s stronger; %s samples broken only by the"
                                    + " stronger attack, %s only by the run's (one-sided p = %s)",
                            pct(m.get("robust_base")),
                            pct(m.get("robust_stronger")),
                            m.get("only_stronger_broken"),
                            m.get("only_base_broken"),
                            num(m.get("p_one_sided")));
            case "unbounded" ->
                    words(
                            "robust %s at eps %s (at most %s expected)",
                            pct(m.get("robust")), num(m.get("eps")), pct(m.get("limit")));
            case "square" ->
                    words(
                            "Square with %s queries left %s robust, the attack %s (margin %s)",
                            m.get("queries"),
                            pct(m.get("robust_square")),
                            pct(m.get("robust_attack")),
                            pct(m.get("margin")));
            default -> generic(m) + " on " + subset + " samples";
        };
    }

    private static Finding adjoint(AdjointAgreement a) {
        return new Finding(
                "adjoint gradients against " + a.exactMode(),
                words(
                        "smallest cosine %s over %s samples",
                        num(a.cosineMin()), a.sampleIds().length),
                null);
    }

    private static String generic(Map<String, Object> m) {
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k.replace('_', ' ') + " " + num(v)));
        return String.join(", ", parts);
    }

    private static String words(String format, Object... args) {
        Object[] shown = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            shown[i] = args[i] == null ? "?" : args[i];
        }
        return String.format(Locale.ROOT, format, shown);
    }

    private static String pct(Object v) {
        return v instanceof Number n && Double.isFinite(n.doubleValue())
                ? String.format(Locale.ROOT, "%.1f%%", 100 * n.doubleValue())
                : "?";
    }

    private static String num(Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d)
                    ? (n instanceof Long || n instanceof Integer
                            ? n.toString()
                            : String.format(Locale.ROOT, "%.4g", d))
                    : "-";
        }
        return String.valueOf(v);
    }
}
