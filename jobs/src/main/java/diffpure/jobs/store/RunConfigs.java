package diffpure.jobs.store;

import diffpure.config.ConfigLoader;
import diffpure.experiment.Experiments;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The config a finished run was computed under, read back from its {@code runs} row (the rendered
 * HOCON), for rescoring and replaying without the experiment file.
 */
public final class RunConfigs {
    private RunConfigs() {}

    /**
     * A run's config with overrides, its tables under {@code output}.
     *
     * @param output run.output holding the runs table
     * @param runId the run
     * @param overrides {@code key=value}, highest precedence
     * @throws IllegalArgumentException when the run has no runs row
     */
    public static ConfigLoader.Loaded load(
            SparkSession spark, String output, String runId, List<String> overrides) {
        String runs = TablePaths.runs(output);
        List<Row> rows =
                spark.read()
                        .parquet(runs)
                        .where(functions.col("run_id").equalTo(runId))
                        .select("config", "config_hash")
                        .collectAsList();
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("run " + runId + " has no row in " + runs);
        }
        String rendered = rows.get(0).getString(0);
        String hash = rows.get(0).getString(1);
        List<String> base = new ArrayList<>(List.of("run.output=" + output));
        ConfigLoader.Loaded source = fromRendered(rendered, runId, base);
        if (!source.config().configHash().equals(hash)) {
            // Keys added to reference.conf since the run change the hash without changing what the
            // run computed; say so rather than refuse (replay still insists on equal hashes).
            System.err.println(
                    "warning: the config stored for run "
                            + runId
                            + " in "
                            + runs
                            + " hashes to "
                            + source.config().configHash()
                            + " with today's defaults, the run has "
                            + hash
                            + " (defaults added or changed since, or a redacted secret)");
        }
        if (overrides.isEmpty()) {
            return source;
        }
        base.addAll(overrides);
        return fromRendered(rendered, runId, base);
    }

    private static ConfigLoader.Loaded fromRendered(
            String rendered, String runId, List<String> overrides) {
        return Experiments.loadStored(rendered, "config of run " + runId, overrides);
    }
}
