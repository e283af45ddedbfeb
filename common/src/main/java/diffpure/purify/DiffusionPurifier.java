package diffpure.purify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.model.ScoreModel;
import diffpure.noise.NoiseSource;
import diffpure.sde.ChainStep;
import diffpure.sde.ReverseChain;
import diffpure.torch.PtAutograd;
import diffpure.torch.Scalars;

/**
 * DiffPure: u = 2x - 1, y_0 = sqrt(abar*) u + sqrt(1 - abar*) z, the reverse chain's steps, x' =
 * (y_N + 1) / 2. The pieces (diffuse, step, vector-Jacobian product of a step) are public so that
 * every gradient mode drives the same arithmetic; {@link ChainRunner} is the one loop over the
 * steps. Each method owns a scope: intermediates are freed, the result is attached to the input's
 * manager.
 *
 * <p>A purifier made by {@link #resizedFrom} takes images of another size (ImageNet: 224 for the
 * classifier, 256 for the score model): x is resized bilinearly to the model's size before the
 * forward diffusion and x' back after, and {@link #inputVjp} / {@link #outputVjp} carry gradients
 * through both resizes, so every gradient mode returns the gradient with respect to the input as
 * given.
 */
public final class DiffusionPurifier implements Purifier {
    private final ScoreModel model;
    private final ReverseChain chain;
    private final Shape imageShape;
    private final Shape inputShape;
    private final BilinearResize up; // input -> model size; null without resizing
    private final BilinearResize down; // model size -> input

    /**
     * @throws IllegalArgumentException when the chain evaluates the model outside its trained time
     *     range
     */
    public DiffusionPurifier(ScoreModel model, ReverseChain chain) {
        this.model = model;
        this.chain = chain;
        this.imageShape = model.imageShape();
        this.inputShape = imageShape;
        this.up = null;
        this.down = null;
        checkTimeRange(chain, model.minTime(), model.maxTime(), model.describe());
    }

    /**
     * Refuses a chain that evaluates a score model outside the time range it was trained on (what
     * the constructor checks; the driver checks it from the manifest before launching).
     *
     * @param model the score model's description, for the message
     * @throws IllegalArgumentException naming purify.t-star or purify.t-end / purify.dt
     */
    public static void checkTimeRange(
            ReverseChain chain, double minTime, double maxTime, String model) {
        double[] range = chain.modelTimeRange();
        if (chain.startTime() > maxTime + 1e-9 || range[1] > maxTime + 1e-9) {
            throw new IllegalArgumentException(
                    "purify.t-star = "
                            + chain.startTime()
                            + " is above the largest time "
                            + maxTime
                            + " the score model "
                            + model
                            + " was trained on");
        }
        if (range[0] < minTime - 1e-12) {
            throw new IllegalArgumentException(
                    "purification evaluates the score model "
                            + model
                            + " at t = "
                            + range[0]
                            + ", below its trained minimum "
                            + minTime
                            + " (purify.t-end / purify.dt)");
        }
    }

    private DiffusionPurifier(DiffusionPurifier p, Shape inputShape) {
        this.model = p.model;
        this.chain = p.chain;
        this.imageShape = p.imageShape;
        this.inputShape = inputShape;
        this.up = BilinearResize.of(inputShape, imageShape);
        this.down = BilinearResize.of(imageShape, inputShape);
    }

    private DiffusionPurifier(DiffusionPurifier p, ReverseChain otherChain) {
        this.model = p.model;
        this.chain = otherChain;
        this.imageShape = p.imageShape;
        this.inputShape = p.inputShape;
        this.up = p.up;
        this.down = p.down;
        checkTimeRange(otherChain, model.minTime(), model.maxTime(), model.describe());
    }

    /**
     * The same score model and resizes with another chain: a surrogate gradient's coarser one.
     *
     * @throws IllegalArgumentException when that chain leaves the model's trained time range
     */
    public DiffusionPurifier withChain(ReverseChain otherChain) {
        return new DiffusionPurifier(this, otherChain);
    }

    /**
     * The same purification for images of another per-image shape [C, H, W] (same C): bilinear
     * resizes to the model's shape before and back after. Usually reached through {@link
     * InputResize#adapt}, which checks the config allows it.
     */
    public DiffusionPurifier resizedFrom(Shape newInputShape) {
        return new DiffusionPurifier(this, newInputShape);
    }

    public ReverseChain chain() {
        return chain;
    }

    public ScoreModel model() {
        return model;
    }

    /** The score model's per-image shape: the chain's states and its noise have this shape. */
    public Shape imageShape() {
        return imageShape;
    }

    /** The per-image shape of the images purified (and returned): the classifier's. */
    public Shape inputShape() {
        return inputShape;
    }

    @Override
    public NDArray purify(NDArray x, NoiseSource noise) {
        try (PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            NDArray y = ChainRunner.over(this, noise).run(0, chain.length(), diffuse(x, noise));
            return output(y);
        }
    }

    /**
     * y_0 from x (rows of x in [0, 1], resized to the model's shape first when this purifier
     * resizes); differentiable when the thread's grad mode is on.
     */
    public NDArray diffuse(NDArray x, NoiseSource noise) {
        try (NDManager scope = NDManager.subManagerOf(x)) {
            scope.tempAttachAll(x);
            NDArray z = noise.draw(scope, -1, imageShape);
            NDArray signal = Scalars.mul(centred(x), chain.forwardSignalScale());
            NDArray y0 = signal.add(Scalars.mul(z, chain.forwardNoiseScale()));
            return scope.ret(y0);
        }
    }

    /**
     * u = 2x - 1 at the score model's size (resized first when this purifier resizes): the image
     * the forward diffusion scales; differentiable when the thread's grad mode is on.
     */
    public NDArray centred(NDArray x) {
        // constants through Scalars: under autograd the graph saves them (see Scalars)
        return Scalars.sub(Scalars.mul(up == null ? x : up.apply(x), 2), 1);
    }

    /** y_{k+1} = c y + d eps(y, t_k) + s z_k; differentiable when the thread's grad mode is on. */
    public NDArray step(int k, NDArray y, NoiseSource noise) {
        ChainStep s = chain.step(k);
        try (NDManager scope = NDManager.subManagerOf(y)) {
            scope.tempAttachAll(y);
            // constants through Scalars: under autograd the graph saves them (see Scalars)
            NDArray next = Scalars.mul(y, s.stateScale());
            if (s.usesModel()) {
                next = next.add(Scalars.mul(predict(y, s), s.epsScale()));
            }
            if (s.isStochastic()) {
                next = next.add(Scalars.mul(noise.draw(scope, k, imageShape), s.noiseScale()));
            }
            return scope.ret(next);
        }
    }

    /**
     * x' = (y_N + 1) / 2, resized back to the input shape when this purifier resizes;
     * differentiable when the thread's grad mode is on.
     */
    public NDArray output(NDArray yN) {
        if (down == null) {
            return Scalars.div(Scalars.add(yN, 1), 2);
        }
        try (NDManager scope = NDManager.subManagerOf(yN)) {
            scope.tempAttachAll(yN);
            return scope.ret(down.apply(Scalars.div(Scalars.add(yN, 1), 2)));
        }
    }

    /**
     * dL/dy_N from dL/dx' (the vector-Jacobian product of {@link #output}): a / 2, through the
     * transposed resize when this purifier resizes. The result attaches to a's manager.
     */
    public NDArray outputVjp(NDArray a) {
        if (down == null) {
            return a.mul(0.5);
        }
        try (NDManager scope = NDManager.subManagerOf(a)) {
            scope.tempAttachAll(a);
            return scope.ret(down.transpose(a).mul(0.5));
        }
    }

    /**
     * dL/dx from dL/dy_0 (the vector-Jacobian product of {@link #diffuse}): 2 sqrt(abar*) a_0,
     * through the transposed resize when this purifier resizes. The result attaches to a0's
     * manager.
     */
    public NDArray inputVjp(NDArray a0) {
        double scale = 2 * chain.forwardSignalScale();
        if (up == null) {
            return a0.mul(scale);
        }
        try (NDManager scope = NDManager.subManagerOf(a0)) {
            scope.tempAttachAll(a0);
            return scope.ret(up.transpose(a0.mul(scale)));
        }
    }

    /**
     * The vector-Jacobian product of step k at state y: a^T dF_k/dy = c a + d J_eps(y, t_k)^T a.
     * Records and frees one step's graph.
     */
    public NDArray stepVjp(int k, NDArray y, NDArray a) {
        StepBackward b = stepVjpAndNoise(k, y, a);
        if (b.eps() != null) {
            b.eps().close();
        }
        return b.vjp();
    }

    /** The result of one backward step: the VJP and the eps prediction it was taken at. */
    public record StepBackward(NDArray vjp, NDArray eps) {}

    /**
     * Like {@link #stepVjp} but also returns eps(y, t_k) (null when the step uses no model), which
     * the adjoint needs for its reconstruction. Both results attach to y's manager.
     */
    public StepBackward stepVjpAndNoise(int k, NDArray y, NDArray a) {
        ChainStep s = chain.step(k);
        try (NDManager scope = NDManager.subManagerOf(y)) {
            scope.tempAttachAll(y, a);
            NDArray vjp = a.mul(s.stateScale());
            NDArray eps = null;
            if (s.usesModel()) {
                NDArray leaf = PtAutograd.leaf(y);
                try (PtAutograd.Mode grad = PtAutograd.enabled()) {
                    NDArray e = predict(leaf, s);
                    PtAutograd.backward(e, a.mul(s.epsScale()));
                    eps = e.stopGradient();
                }
                vjp = vjp.add(PtAutograd.gradientOf(leaf));
            }
            return new StepBackward(scope.ret(vjp), eps == null ? null : scope.ret(eps));
        }
    }

    /**
     * Inverts step k given y_{k+1} and an eps prediction: y_k = (y_{k+1} - d eps - s z_k) / c.
     * Exact when eps was evaluated at y_k; the adjoint evaluates it at y_{k+1}, which is where its
     * error comes from.
     */
    public NDArray invertStep(int k, NDArray yNext, NDArray eps, NoiseSource noise) {
        ChainStep s = chain.step(k);
        try (NDManager scope = NDManager.subManagerOf(yNext)) {
            scope.tempAttachAll(yNext, eps);
            NDArray y = yNext;
            if (eps != null) {
                y = y.sub(eps.mul(s.epsScale()));
            }
            if (s.isStochastic()) {
                y = y.sub(noise.draw(scope, k, imageShape).mul(s.noiseScale()));
            }
            return scope.ret(y.div(s.stateScale()));
        }
    }

    private NDArray predict(NDArray y, ChainStep s) {
        NDArray t = y.getManager().full(new Shape(y.getShape().get(0)), (float) s.modelTime());
        return model.predictNoise(y, t);
    }

    @Override
    public String describe() {
        return chain.name()
                + " with "
                + model.describe()
                + (up == null ? "" : ", bilinear resize " + inputShape + " <-> " + imageShape);
    }
}
