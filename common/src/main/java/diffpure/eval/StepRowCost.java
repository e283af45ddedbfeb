package diffpure.eval;

import diffpure.config.ExperimentConfig;
import diffpure.sde.ReverseChain;
import java.io.Serializable;

/**
 * What one row of each kind costs in model step-rows (one row through one step of a reverse chain),
 * so that a sample's spending counts the chain each of its rows really went through. With {@code
 * exact}, {@code backprop} and {@code adjoint} gradients every row goes through the defence's N_d
 * steps. With {@code surrogate} gradients a gradient row goes through the coarse chain's N_s steps,
 * plus the defence's N_d when the defence judges the iterate (not when the surrogate is the defence
 * chain itself, N_s = N_d with summed noise; DiffHammer's grafted rows judge nothing: its purified
 * copies are forward rows); with {@code attack.surrogate-evaluation = checkpoints} the attack's
 * gradient-free checks go through the coarse chain too. Votes always go through the defence.
 *
 * @param gradient step-rows of one row with an input gradient
 * @param forward step-rows of one of the attack's gradient-free evaluations
 * @param vote step-rows of one vote or clean during-attack evaluation (the defence's draws)
 */
public record StepRowCost(int gradient, int forward, int vote) implements Serializable {
    public StepRowCost {
        if (gradient < 0 || forward < 0 || vote < 0) {
            throw new IllegalArgumentException(
                    "negative step-row cost " + gradient + "/" + forward + "/" + vote);
        }
    }

    /** Every row through the defence's chain of this many steps. */
    public static StepRowCost ofDefence(int defenceSteps) {
        return new StepRowCost(defenceSteps, defenceSteps, defenceSteps);
    }

    /** The costs of a run's rows through this defence chain (and its coarsening, if surrogate). */
    public static StepRowCost forRun(ExperimentConfig c, ReverseChain defence) {
        boolean surrogate = c.attack().gradientMode().equals("surrogate");
        return forRun(
                c,
                defence.length(),
                surrogate ? defence.coarsened(c.attack().surrogateSteps()).length() : 0);
    }

    /**
     * The costs of a run's rows.
     *
     * @param defenceSteps N_d, the defence chain's steps
     * @param surrogateSteps N_s, the coarse chain's steps (read only with gradient mode surrogate)
     */
    public static StepRowCost forRun(ExperimentConfig c, int defenceSteps, int surrogateSteps) {
        if (!c.attack().gradientMode().equals("surrogate")) {
            return ofDefence(defenceSteps);
        }
        boolean judgedOnSurrogate = c.attack().surrogateEvaluation().equals("checkpoints");
        boolean grafted = c.attack().name().equals("diffhammer");
        boolean defenceItself =
                surrogateSteps == defenceSteps && c.attack().surrogateNoise().equals("summed");
        int gradient =
                judgedOnSurrogate || grafted || defenceItself
                        ? surrogateSteps
                        : surrogateSteps + defenceSteps;
        return new StepRowCost(
                gradient, judgedOnSurrogate ? surrogateSteps : defenceSteps, defenceSteps);
    }

    /** Step-rows of these row counts. */
    public long of(long gradients, long forwards, long votes) {
        return gradients * gradient + forwards * forward + votes * vote;
    }

    /** Step-rows one sample spent: its attack's rows and its votes. */
    public long of(SampleOutcome o) {
        SampleOutcome.Cost c = o.cost();
        return of(c.gradients(), c.forwards(), c.voteEvaluations());
    }
}
