package diffpure.jobs.cli;

import ai.djl.Device;
import diffpure.data.IdxDataset;
import diffpure.model.Classifier;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.noise.NoiseWorkers;
import diffpure.purify.DiffusionPurifier;
import diffpure.purify.InputResize;
import diffpure.purify.PurifierSpec;
import diffpure.sde.ForwardAlphaBar;
import diffpure.torch.Devices;
import diffpure.torch.TorchThreads;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands: models, data, purifier, device and threads. Defaults are the
 * demo's.
 */
public final class ModelOptions {
    @Option(
            names = "--score-model",
            description = "score model (.pt with manifest beside it)",
            defaultValue = "models/demo/eps.pt")
    Path scoreModel;

    /** The old name of --score-model, refused with the new one rather than as unknown. */
    @Option(names = "--eps", hidden = true)
    Path renamedEps;

    @Option(
            names = "--classifier",
            description = "classifier (.pt with manifest)",
            defaultValue = "models/demo/classifier.pt")
    Path classifier;

    @Option(
            names = "--images",
            description = "IDX images file",
            defaultValue = "models/demo/data/t10k-images-idx3-ubyte.gz")
    Path images;

    @Option(
            names = "--labels",
            description = "IDX labels file",
            defaultValue = "models/demo/data/t10k-labels-idx1-ubyte.gz")
    Path labels;

    @Option(names = "--purifier", description = "vp-sde, pf-ode or ddpm", defaultValue = "vp-sde")
    String purifier;

    @Option(names = "--t-star", description = "diffusion time t*", defaultValue = "0.1")
    double tStar;

    @Option(names = "--dt", description = "reverse grid step", defaultValue = "1e-3")
    double dt;

    @Option(names = "--t-end", description = "end of the reverse grid", defaultValue = "1e-5")
    double tEnd;

    @Option(
            names = "--ddpm-steps",
            description = "start step of the ddpm purifier",
            defaultValue = "100")
    int ddpmSteps;

    @Option(
            names = "--forward-alpha-bar",
            description = "discrete (reference) or continuous",
            defaultValue = "discrete")
    String forwardAlphaBar;

    @Option(
            names = "--resize",
            description =
                    "none, or bilinear to pair a score model and a classifier of different sizes"
                            + " (purify.resize)",
            defaultValue = "none")
    String resize;

    @Option(names = "--device", description = "cpu, gpu, gpu:N or auto", defaultValue = "cpu")
    String device;

    @Option(names = "--threads", description = "libtorch intra-op threads", defaultValue = "2")
    int threads;

    @Option(
            names = "--noise-threads",
            description =
                    "host threads drawing the next step's noise during a model call (-1 auto: up to"
                            + " 4 on a GPU, none on a CPU)",
            defaultValue = "-1")
    int noiseThreads;

    /** The purifier spec from the options. */
    public PurifierSpec spec() {
        ForwardAlphaBar fab =
                switch (forwardAlphaBar) {
                    case "discrete" -> ForwardAlphaBar.DISCRETE;
                    case "continuous" -> ForwardAlphaBar.CONTINUOUS;
                    default ->
                            throw new IllegalArgumentException(
                                    "--forward-alpha-bar must be discrete or continuous, found '"
                                            + forwardAlphaBar
                                            + "'");
                };
        return new PurifierSpec(PurifierSpec.Kind.parse(purifier), tStar, tEnd, dt, ddpmSteps, fab);
    }

    /** The purifier for the score model and the classifier after it (resized per --resize). */
    public DiffusionPurifier purifier(PtScoreModel scoreModel, Classifier classifier) {
        return InputResize.parse(resize)
                .adapt(
                        spec().build(scoreModel, scoreModel.manifest().schedule()),
                        classifier.imageShape(),
                        classifier.describe());
    }

    public Device device() {
        return Devices.parse(device);
    }

    /** The noise workers the options ask for on their device. */
    public NoiseWorkers noiseWorkers() {
        return NoiseWorkers.forDevice(noiseThreads, device());
    }

    /** The libtorch intra-op thread count. */
    public int threads() {
        return threads;
    }

    /** Sets and checks the libtorch thread count on the calling thread. */
    public void applyThreads() {
        TorchThreads.ensure(threads);
    }

    public PtScoreModel loadScoreModel() {
        return loadScoreModel(device());
    }

    /** The score model on another device than {@code --device}. */
    public PtScoreModel loadScoreModel(Device on) {
        if (renamedEps != null) {
            throw new IllegalArgumentException("--eps was renamed --score-model");
        }
        return PtScoreModel.load(scoreModel, on);
    }

    public PtClassifier loadClassifier() {
        return loadClassifier(device());
    }

    /** The classifier on another device than {@code --device}. */
    public PtClassifier loadClassifier(Device on) {
        return PtClassifier.load(classifier, on);
    }

    public IdxDataset loadData(int classes) {
        return IdxDataset.read(images, labels, classes);
    }
}
