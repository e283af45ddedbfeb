package diffpure.jobs.report;

import java.util.List;
import java.util.Set;

/**
 * Everything a report shows, computed from the tables once.
 *
 * @param output the run output read (its samples, runs and rescores tables)
 * @param generated when the report was computed (ISO-8601, UTC)
 * @param samplesSchemaVersions schema versions found in the samples table
 * @param runsSchemaVersions schema versions found in the runs table
 * @param settings per setting, its runs and comparison, in a stable order
 * @param rescores rescored figures (empty when there is no rescores table)
 * @param budgetCurves the budget curves of the runs that recorded checkpoints (schema 3)
 * @param gallery the gallery's sections (schema 4 rows with pictures; empty without)
 * @param strongest the newest strongest-evidence pass of each threat setting (empty when none)
 */
public record ReportData(
        String output,
        String generated,
        Set<Integer> samplesSchemaVersions,
        Set<Integer> runsSchemaVersions,
        List<SettingReport> settings,
        List<RescoreFigures> rescores,
        List<BudgetCurves.RunCurve> budgetCurves,
        List<Gallery.Section> gallery,
        List<StrongestFigures> strongest) {

    /**
     * One setting.
     *
     * @param setting the setting
     * @param runs its runs, oldest first (by start time, then run id)
     * @param comparison newest against previous, null with fewer than two runs
     * @param secondsPerSample the newest run's per-sample seconds (cost distribution)
     */
    public record SettingReport(
            Setting setting,
            List<RunFigures> runs,
            Comparison comparison,
            double[] secondsPerSample) {
        /** The newest run. */
        public RunFigures newest() {
            return runs.get(runs.size() - 1);
        }
    }

    /** Whether any comparison found a regression. */
    public boolean regression() {
        return settings.stream()
                .anyMatch(s -> s.comparison() != null && s.comparison().regression());
    }

    /** The budget curve of one run and setting, null when it recorded no checkpoints. */
    public BudgetCurves.RunCurve budgetCurveOf(RunFigures r) {
        return budgetCurves.stream()
                .filter(c -> c.runId().equals(r.runId()) && c.setting().equals(r.setting()))
                .findFirst()
                .orElse(null);
    }

    /** The rescores of one run and setting. */
    public List<RescoreFigures> rescoresOf(RunFigures r) {
        return rescores.stream()
                .filter(x -> x.sourceRunId().equals(r.runId()) && x.source().equals(r.setting()))
                .toList();
    }
}
