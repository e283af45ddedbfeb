package diffpure.config;

import java.io.Serializable;

/**
 * One experiment, parsed and checked once on the driver ({@link ConfigLoader}). Small and
 * serializable, so executors receive it inside their task spec; the config tree itself never leaves
 * the driver.
 *
 * @param experiment experiment name
 * @param run how the run is cut up and where it goes
 * @param data the evaluation set
 * @param models the two models
 * @param purify the defence
 * @param attack the attack setting
 * @param eval the voting protocol
 * @param sanity the gradient-masking checks on a subset
 * @param runtime device, threads, micro-batches and the model cache
 * @param sweep values swept as separate attack settings of the run (empty: one setting)
 * @param configHash sha256 of the rendered config without run.id and run.output (what decides the
 *     rows)
 */
public record ExperimentConfig(
        String experiment,
        RunSettings run,
        DataSettings data,
        ModelSettings models,
        PurifySettings purify,
        AttackSettings attack,
        EvalSettings eval,
        SanitySettings sanity,
        RuntimeSettings runtime,
        SweepSettings sweep,
        String configHash)
        implements Serializable {

    /**
     * The attack settings of the run, in a fixed order (setting index = position): for every eps of
     * the sweep (or attack.eps) and every t* of the sweep (or purify.t-star), this config with
     * those values and no sweep. All share the run's config hash; one setting when nothing is
     * swept.
     */
    public java.util.List<ExperimentConfig> settings() {
        if (sweep.isEmpty()) {
            return java.util.List.of(this);
        }
        java.util.List<Double> es =
                sweep.eps().isEmpty() ? java.util.List.of(attack.eps()) : sweep.eps();
        java.util.List<Double> ts =
                sweep.tStar().isEmpty() ? java.util.List.of(purify.tStar()) : sweep.tStar();
        java.util.List<ExperimentConfig> out = new java.util.ArrayList<>();
        for (double t : ts) {
            for (double e : es) {
                out.add(withEps(e).withTStar(t));
            }
        }
        return java.util.List.copyOf(out);
    }

    /**
     * This config with another attack radius and no sweep (same hash: it is one of the run's
     * settings).
     */
    public ExperimentConfig withEps(double e) {
        AttackSettings a = attack;
        return withAttack(
                new AttackSettings(
                        a.name(),
                        a.norm(),
                        e,
                        a.iterations(),
                        a.eot(),
                        a.restarts(),
                        a.step(),
                        a.gradientMode(),
                        a.successFraction(),
                        a.budgetCheckpoints(),
                        a.surrogateSteps(),
                        a.surrogateNoise(),
                        a.surrogateEvaluation(),
                        a.deviationWeight(),
                        a.deviationSteps(),
                        a.reEvaluations(),
                        a.earlyStop(),
                        a.evaluations(),
                        a.grafting()),
                SweepSettings.NONE);
    }

    /** This config with another diffusion time and no sweep. */
    public ExperimentConfig withTStar(double t) {
        PurifySettings p = purify;
        return new ExperimentConfig(
                experiment,
                run,
                data,
                models,
                new PurifySettings(
                        p.kind(),
                        t,
                        p.tEnd(),
                        p.dt(),
                        p.ddpmSteps(),
                        p.forwardAlphaBar(),
                        p.resize(),
                        p.ddpmRespacedSteps()),
                attack,
                eval,
                sanity,
                runtime,
                SweepSettings.NONE,
                configHash);
    }

    /**
     * This config with another attack.gradient-mode (same hash): the exact twin the sanity checks
     * compare an adjoint run's gradients with.
     */
    public ExperimentConfig withGradientMode(String mode) {
        AttackSettings a = attack;
        return withAttack(
                new AttackSettings(
                        a.name(),
                        a.norm(),
                        a.eps(),
                        a.iterations(),
                        a.eot(),
                        a.restarts(),
                        a.step(),
                        mode,
                        a.successFraction(),
                        a.budgetCheckpoints(),
                        a.surrogateSteps(),
                        a.surrogateNoise(),
                        a.surrogateEvaluation(),
                        a.deviationWeight(),
                        a.deviationSteps(),
                        a.reEvaluations(),
                        a.earlyStop(),
                        a.evaluations(),
                        a.grafting()),
                sweep);
    }

    /** This config with other attack settings and sweep, the rest and the hash unchanged. */
    private ExperimentConfig withAttack(AttackSettings a, SweepSettings s) {
        return new ExperimentConfig(
                experiment, run, data, models, purify, a, eval, sanity, runtime, s, configHash);
    }

    /**
     * The run id: run.id, or the experiment name and the first 12 hex digits of the config hash.
     */
    public String runId() {
        return run.id().isEmpty() ? experiment + "-" + configHash.substring(0, 12) : run.id();
    }
}
