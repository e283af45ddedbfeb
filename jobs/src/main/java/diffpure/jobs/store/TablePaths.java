package diffpure.jobs.store;

/**
 * Every path under a run output directory ({@code run.output}): the tables and the done-markers.
 * Nothing else in jobs/ spells a table's location.
 */
public final class TablePaths {
    private TablePaths() {}

    /** The samples table. */
    public static String samples(String output) {
        return root(output) + "/samples";
    }

    /** The runs table. */
    public static String runs(String output) {
        return root(output) + "/runs";
    }

    /** The rescores table. */
    public static String rescores(String output) {
        return root(output) + "/rescores";
    }

    /** The done-markers of an evaluation run's chunks. */
    public static String runProgress(String output, String runId) {
        return root(output) + "/_progress/" + runId;
    }

    /** The done-markers of a rescore's chunks. */
    public static String rescoreProgress(String output, String rescoreId) {
        return runProgress(output, "rescore-" + rescoreId);
    }

    private static String root(String output) {
        return output.replaceAll("/+$", "");
    }
}
