package diffpure.jobs.strongest;

import diffpure.config.ConfigError;
import diffpure.config.ConfigLoader;
import diffpure.jobs.rescore.RescoreJob;
import diffpure.jobs.store.TablePaths;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;

/**
 * A strongest-evidence pass over a run output: per threat setting, each sample's strongest
 * candidate image across every run and rescore ({@link Candidates}), judged by K fresh votes
 * ({@link diffpure.noise.Purpose#VOTE_FRESH}) under one protocol. The rows go to the rescores table
 * as rescore_kind {@code strongest}, one pass id per threat setting, chunk by chunk with
 * done-markers like a rescore, so a killed pass resumes; the same choice gives the same id, and a
 * new run that changes a choice gives a new pass.
 */
public final class StrongestJob {
    private StrongestJob() {}

    /**
     * What to do.
     *
     * @param output run.output holding the tables
     * @param excluded run ids whose rows are no candidates (e.g. made by a version with a known
     *     bug)
     * @param votes K of the fresh votes; 0 for the largest K among the chosen images' runs
     * @param overrides {@code runtime.*} changes (where the pass runs, never what it computes)
     * @param gitSha commit recorded in every row
     * @param maxChunks commit at most this many chunks per pass in this call, then stop (-1: all);
     *     the same command again resumes
     */
    public record Request(
            String output,
            List<String> excluded,
            int votes,
            List<String> overrides,
            String gitSha,
            int maxChunks) {
        public Request {
            excluded = List.copyOf(new TreeSet<>(excluded));
            overrides = List.copyOf(overrides);
        }
    }

    /**
     * Runs one pass per threat setting.
     *
     * @return each pass's outcome, in threat-setting order
     * @throws ConfigError for an override outside {@code runtime.*} or K below 0
     * @throws IllegalArgumentException when no run of the output has a row without error
     */
    public static List<RescoreJob.Outcome> run(SparkSession spark, Request req, PrintStream log) {
        for (String o : req.overrides()) {
            if (!o.trim().startsWith("runtime.")) {
                throw new ConfigError(
                        "a strongest-evidence pass judges every image under its run's own"
                                + " settings; only runtime.* may be set, found '"
                                + o
                                + "'");
            }
        }
        if (req.votes() < 0) {
            throw new ConfigError(
                    "--votes must be >= 0 (0: the runs' largest K), found " + req.votes());
        }
        Map<ThreatSetting, List<Candidates.Chosen>> chosen =
                Candidates.choose(spark, req.output(), new TreeSet<>(req.excluded()));
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(
                    "no row without error in "
                            + TablePaths.samples(req.output())
                            + (req.excluded().isEmpty()
                                    ? ""
                                    : " outside the excluded runs " + req.excluded()));
        }
        List<RescoreJob.Outcome> out = new ArrayList<>();
        for (Map.Entry<ThreatSetting, List<Candidates.Chosen>> e : chosen.entrySet()) {
            out.add(pass(spark, req, e.getKey(), e.getValue(), log));
        }
        return out;
    }

    private static RescoreJob.Outcome pass(
            SparkSession spark,
            Request req,
            ThreatSetting threat,
            List<Candidates.Chosen> chosen,
            PrintStream log) {
        int k =
                req.votes() > 0
                        ? req.votes()
                        : chosen.stream()
                                .mapToInt(c -> c.candidate().source().votes())
                                .max()
                                .orElse(1);
        String id = passId(req, threat, chosen, k);
        StrongestChunks work =
                StrongestChunks.plan(spark, new StrongestChunks.Pass(req, id, k), chosen);
        log.printf(
                Locale.ROOT,
                "strongest evidence %s: %s, %d samples, %d candidate images, chosen from %d run(s),"
                        + " %d fresh votes each; excluded runs: %s%n",
                id,
                threat.label(),
                chosen.size(),
                chosen.stream().mapToInt(Candidates.Chosen::candidates).sum(),
                chosen.stream().map(c -> c.candidate().runId()).distinct().count(),
                k,
                req.excluded().isEmpty() ? "none" : String.join(", ", req.excluded()));
        return RescoreJob.runChunks(
                spark,
                new RescoreJob.ChunkRun(
                        req.output(), id, req.maxChunks(), work.partitionsPerChunk()),
                work,
                work.chunkNumbers(),
                log);
    }

    /** The pass id: a hash of the threat setting, K, the exclusions and every choice. */
    static String passId(Request req, ThreatSetting threat, List<Candidates.Chosen> chosen, int k) {
        StringBuilder b = new StringBuilder(threat.key()).append('|').append(k);
        b.append('|').append(String.join(",", req.excluded()));
        for (Candidates.Chosen c : chosen) {
            Candidate x = c.candidate();
            b.append('\n')
                    .append(x.sampleId())
                    .append(' ')
                    .append(x.runId())
                    .append(' ')
                    .append(x.source().slug())
                    .append(' ')
                    .append(x.votedBy());
        }
        return "strongest-" + ConfigLoader.sha256(b.toString()).substring(0, 12);
    }
}
