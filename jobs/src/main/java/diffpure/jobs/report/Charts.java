package diffpure.jobs.report;

import diffpure.eval.Interval;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The report's charts, drawn with JFreeChart (headless) as PNG: robust accuracy per setting with
 * Wilson intervals, the trend over runs, accuracy against eps and against t* where a run swept
 * them, and the per-sample cost distribution.
 */
public final class Charts {
    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Pixel size of every chart. */
    static final int WIDTH = 900;

    static final int HEIGHT = 420;

    private static final Color[] PALETTE = {
        new Color(0x1f77b4),
        new Color(0xd62728),
        new Color(0x2ca02c),
        new Color(0x9467bd),
        new Color(0xff7f0e),
        new Color(0x8c564b),
        new Color(0xe377c2),
        new Color(0x17becf)
    };

    private Charts() {}

    /**
     * One chart.
     *
     * @param id stable id (HTML anchor, test hook)
     * @param title title
     * @param caption what it shows
     * @param png the image
     */
    public record Chart(String id, String title, String caption, byte[] png) {}

    /** Every chart the data call for (the sweep charts only where a run swept eps or t*). */
    public static List<Chart> all(ReportData d) {
        List<Chart> out = new ArrayList<>();
        if (d.settings().isEmpty()) {
            return out;
        }
        out.add(accuracyBySetting(d));
        out.add(trend(d));
        Chart eps = sweep(d, "eps", "eps", Setting::eps, s -> s.withEps(0));
        if (eps != null) {
            out.add(eps);
        }
        Chart t = sweep(d, "t-star", "t*", Setting::tStar, s -> s.withTStar(0));
        if (t != null) {
            out.add(t);
        }
        out.add(cost(d));
        return out;
    }

    /** Accuracy of the newest run of each setting, per protocol, with 95% Wilson intervals. */
    static Chart accuracyBySetting(ReportData d) {
        List<ReportData.SettingReport> ss = d.settings();
        String[] names = new String[ss.size()];
        for (int i = 0; i < names.length; i++) {
            names[i] = UntrustedText.chartLabel(ss.get(i).setting().shortLabel());
        }
        List<String> protocols =
                new ArrayList<>(List.of("single", "majority", "worst", "during-attack"));
        if (ss.stream().anyMatch(s -> s.newest().robust().containsKey("averaged-logit"))) {
            protocols.add("averaged-logit");
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        int m = protocols.size() + 1;
        for (int j = 0; j < m; j++) {
            boolean clean = j == m - 1;
            String p = clean ? "majority" : protocols.get(j);
            YIntervalSeries series =
                    new YIntervalSeries(clean ? "clean (majority)" : "robust " + p, false, true);
            for (int i = 0; i < ss.size(); i++) {
                RunFigures f = ss.get(i).newest();
                Interval iv = clean ? f.clean().get(p) : f.robust().get(p);
                if (iv != null && iv.trials() > 0) {
                    series.add(
                            i + (j - (m - 1) / 2.0) * 0.8 / m,
                            iv.estimate(),
                            iv.lower(),
                            iv.upper());
                }
            }
            data.addSeries(series);
        }
        SymbolAxis x = new SymbolAxis("setting (newest run)", names);
        x.setVerticalTickLabels(names.length > 3);
        x.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        NumberAxis y = accuracyAxis();
        XYErrorRenderer r = new XYErrorRenderer();
        r.setDrawXError(false);
        r.setDefaultLinesVisible(false);
        r.setCapLength(6);
        XYPlot plot = new XYPlot(data, x, y, r);
        style(r, data.getSeriesCount());
        return chart(
                "accuracy",
                "Accuracy per setting with 95% Wilson intervals",
                "Newest run of each setting; robust accuracy by protocol (single vote, majority and"
                        + " worst of K, during attack, averaged logits where recorded) and clean"
                        + " majority-of-K accuracy.",
                plot);
    }

    /** Robust majority-of-K accuracy of every run of every setting, in run order, with bands. */
    static Chart trend(ReportData d) {
        // One x position per run, ordered by start time (then id) across all settings.
        Map<String, Long> order = new TreeMap<>();
        for (ReportData.SettingReport s : d.settings()) {
            for (RunFigures f : s.runs()) {
                long t = f.started() == null ? Long.MAX_VALUE : f.started().getTime();
                order.merge(f.runId(), t, Math::min);
            }
        }
        List<String> runs = new ArrayList<>(order.keySet());
        runs.sort(
                (a, b) ->
                        order.get(a).equals(order.get(b))
                                ? a.compareTo(b)
                                : Long.compare(order.get(a), order.get(b)));
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (ReportData.SettingReport s : d.settings()) {
            YIntervalSeries series =
                    new YIntervalSeries(
                            UntrustedText.chartLabel(s.setting().shortLabel()), true, true);
            for (RunFigures f : s.runs()) {
                Interval iv = f.robustMajority();
                if (iv.trials() > 0) {
                    series.add(runs.indexOf(f.runId()), iv.estimate(), iv.lower(), iv.upper());
                }
            }
            data.addSeries(series);
        }
        SymbolAxis x =
                new SymbolAxis(
                        "run (oldest first)",
                        runs.stream().map(UntrustedText::chartLabel).toArray(String[]::new));
        x.setVerticalTickLabels(runs.size() > 3);
        x.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        DeviationRenderer r = new DeviationRenderer(true, true);
        r.setAlpha(0.2f);
        XYPlot plot = new XYPlot(data, x, accuracyAxis(), r);
        styleBands(r, data.getSeriesCount());
        return chart(
                "trend",
                "Robust accuracy over runs (majority of K)",
                "Every run of every setting, oldest first; the band is the 95% Wilson interval.",
                plot);
    }

    /**
     * Robust majority-of-K accuracy against one swept column, one curve per family of settings that
     * differ only in that column; null when no family has two values.
     */
    static Chart sweep(
            ReportData d,
            String id,
            String axis,
            ToDoubleFunction<Setting> value,
            Function<Setting, Setting> family) {
        Map<Setting, List<ReportData.SettingReport>> families = new LinkedHashMap<>();
        for (ReportData.SettingReport s : d.settings()) {
            families.computeIfAbsent(family.apply(s.setting()), k -> new ArrayList<>()).add(s);
        }
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Map.Entry<Setting, List<ReportData.SettingReport>> e : families.entrySet()) {
            if (e.getValue().size() < 2) {
                continue;
            }
            Setting f = e.getValue().get(0).setting();
            String key =
                    id.equals("eps")
                            ? f.attack() + " " + f.norm() + " t*=" + Setting.trim(f.tStar())
                            : f.attack() + " " + f.norm() + " " + Setting.epsText(f.eps());
            YIntervalSeries series =
                    new YIntervalSeries(key + " (" + f.classifier() + ")", true, true);
            for (ReportData.SettingReport s : e.getValue()) {
                Interval iv = s.newest().robustMajority();
                if (iv.trials() > 0) {
                    series.add(
                            value.applyAsDouble(s.setting()),
                            iv.estimate(),
                            iv.lower(),
                            iv.upper());
                }
            }
            data.addSeries(series);
        }
        if (data.getSeriesCount() == 0) {
            return null;
        }
        NumberAxis x = new NumberAxis(axis);
        x.setAutoRangeIncludesZero(false);
        DeviationRenderer r = new DeviationRenderer(true, true);
        r.setAlpha(0.2f);
        XYPlot plot = new XYPlot(data, x, accuracyAxis(), r);
        styleBands(r, data.getSeriesCount());
        return chart(
                "sweep-" + id,
                "Robust accuracy against " + axis,
                "Newest run of each swept setting (majority of K), 95% Wilson band.",
                plot);
    }

    /** Histogram of the seconds per sample of each setting's newest run. */
    static Chart cost(ReportData d) {
        HistogramDataset data = new HistogramDataset();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (ReportData.SettingReport s : d.settings()) {
            for (double v : s.secondsPerSample()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!(hi > lo)) {
            // One value (or none): a small range around it keeps the bins' width positive.
            double c = Double.isFinite(lo) ? lo : 0;
            lo = c * 0.9;
            hi = c * 1.1 + 1e-6;
        }
        for (ReportData.SettingReport s : d.settings()) {
            if (s.secondsPerSample().length > 0) {
                data.addSeries(
                        UntrustedText.chartLabel(s.setting().shortLabel()),
                        s.secondsPerSample(),
                        30,
                        lo,
                        hi);
            }
        }
        JFreeChart c =
                ChartFactory.createHistogram(
                        null,
                        "seconds per sample",
                        "samples",
                        data,
                        PlotOrientation.VERTICAL,
                        true,
                        false,
                        false);
        XYPlot plot = c.getXYPlot();
        plot.setForegroundAlpha(0.7f);
        XYBarRenderer r = (XYBarRenderer) plot.getRenderer();
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.xy.StandardXYBarPainter());
        for (int i = 0; i < data.getSeriesCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        return chart(
                "cost",
                "Per-sample cost distribution",
                "Seconds per sample (batch time / batch size) of each setting's newest run.",
                plot);
    }

    static NumberAxis accuracyAxis() {
        NumberAxis y = new NumberAxis("accuracy");
        y.setRange(0, 1.02);
        return y;
    }

    private static void style(org.jfree.chart.renderer.xy.XYLineAndShapeRenderer r, int n) {
        for (int i = 0; i < n; i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
    }

    /** Line colours and strokes, with each band filled in its line's colour. */
    static void styleBands(DeviationRenderer r, int n) {
        style(r, n);
        for (int i = 0; i < n; i++) {
            r.setSeriesFillPaint(i, PALETTE[i % PALETTE.length]);
        }
    }

    static Chart chart(String id, String title, String caption, XYPlot plot) {
        JFreeChart c = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        return chart(id, title, caption, c);
    }

    private static Chart chart(String id, String title, String caption, JFreeChart c) {
        c.setTitle(title);
        c.setBackgroundPaint(Color.WHITE);
        c.getXYPlot().setBackgroundPaint(new Color(0xf7f7f7));
        c.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
        c.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, c, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("drawing chart " + id + ": " + e.getMessage(), e);
        }
        return new Chart(id, title, caption, out.toByteArray());
    }
}
