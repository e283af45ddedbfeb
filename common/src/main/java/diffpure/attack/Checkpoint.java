package diffpure.attack;

/**
 * An attack's state at one budget checkpoint, per row of its batch: the image its returned-image
 * rule held after the last iterate whose cumulative iteration count is at most {@code iteration} (a
 * sample the attack stopped on earlier keeps its final image), and what had been spent by then.
 *
 * @param iteration the checkpoint (cumulative iterations, {@link BudgetCheckpoints})
 * @param images float32 rows [B * C * H * W] on the host, in batch order
 * @param miss per row, fraction of copies that missed the goal in that image's evaluation (NaN when
 *     none was evaluated)
 * @param gradients per row, input-gradient evaluations spent by then
 * @param forwards per row, gradient-free evaluations spent by then
 * @param evaluations per row, evaluations of attack iterates seen by then
 * @param fooled per row, how many of those misclassified the sample
 */
public record Checkpoint(
        int iteration,
        float[] images,
        double[] miss,
        long[] gradients,
        long[] forwards,
        long[] evaluations,
        long[] fooled) {}
