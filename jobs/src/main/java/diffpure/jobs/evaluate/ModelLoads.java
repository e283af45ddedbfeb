package diffpure.jobs.evaluate;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model loads the tasks report ("executor pid score-model-loads classifier-loads
 * perceptual-loads"), per executor JVM: the evidence that each JVM loaded each model once.
 */
final class ModelLoads {
    private ModelLoads() {}

    /** The last report of each JVM (highest counts: loads only grow within a JVM). */
    static List<ExecutorLoads> loadsPerJvm(List<String> reports) {
        Map<Long, ExecutorLoads> byPid = new TreeMap<>();
        for (String r : reports) {
            String[] f = r.split(" ");
            ExecutorLoads l =
                    new ExecutorLoads(
                            f[0],
                            Long.parseLong(f[1]),
                            Integer.parseInt(f[2]),
                            Integer.parseInt(f[3]),
                            Integer.parseInt(f[4]));
            byPid.merge(
                    l.pid(),
                    l,
                    (a, b) ->
                            new ExecutorLoads(
                                    a.executor(),
                                    a.pid(),
                                    Math.max(a.scoreModel(), b.scoreModel()),
                                    Math.max(a.classifier(), b.classifier()),
                                    Math.max(a.perceptual(), b.perceptual())));
        }
        return List.copyOf(byPid.values());
    }

    static String describe(List<ExecutorLoads> perJvm) {
        if (perJvm.isEmpty()) {
            return "by no task";
        }
        // the perceptual model is loaded only by runs with an lpips bound (0 otherwise)
        boolean once =
                perJvm.stream()
                        .allMatch(
                                l ->
                                        l.scoreModel() == 1
                                                && l.classifier() == 1
                                                && l.perceptual() <= 1);
        return once
                ? "once in each of " + perJvm.size() + " executor JVMs"
                : "more than once in an executor JVM: " + perJvm;
    }
}
