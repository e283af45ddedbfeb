package diffpure.jobs;

import ai.djl.Device;
import diffpure.data.IdxDataset;
import diffpure.model.PtClassifier;
import diffpure.model.PtScoreModel;
import diffpure.purify.PurifierSpec;
import diffpure.solver.ForwardAlphaBar;
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
            names = "--eps",
            description = "eps model (.pt with manifest beside it)",
            defaultValue = "models/demo/eps.pt")
    Path eps;

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

    @Option(names = "--device", description = "cpu, gpu, gpu:N or auto", defaultValue = "cpu")
    String device;

    @Option(names = "--threads", description = "libtorch intra-op threads", defaultValue = "2")
    int threads;

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

    public Device device() {
        return Devices.parse(device);
    }

    /** The libtorch intra-op thread count. */
    public int threads() {
        return threads;
    }

    /** Sets and checks the libtorch thread count on the calling thread. */
    public void applyThreads() {
        TorchThreads.ensure(threads);
    }

    public PtScoreModel loadEps() {
        return PtScoreModel.load(eps, device());
    }

    public PtClassifier loadClassifier() {
        return PtClassifier.load(classifier, device());
    }

    public IdxDataset loadData(int classes) {
        return IdxDataset.read(images, labels, classes);
    }
}
