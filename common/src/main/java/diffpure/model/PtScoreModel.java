package diffpure.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import java.nio.file.Path;

/** An eps model from a TorchScript file and its manifest. */
public final class PtScoreModel extends PtTorchScript implements ScoreModel {
    private PtScoreModel(Path file, Device device) {
        super(file, ModelKind.EPS, device);
        checkProbe();
    }

    /**
     * Loads and checks an eps model.
     *
     * @throws ModelException naming the file on any problem
     */
    public static PtScoreModel load(Path file, Device device) {
        return new PtScoreModel(file, device);
    }

    @Override
    public NDArray predictNoise(NDArray y, NDArray t) {
        return forward(y, t);
    }

    @Override
    public double minTime() {
        return manifest().minTime();
    }

    @Override
    public double maxTime() {
        return manifest().maxTime();
    }

    @Override
    protected NDArray probeOutput(NDManager scope) {
        NDArray x = probeImages(scope, -1f, 1f);
        float[] times = new float[GoldenProbe.ROWS];
        for (int i = 0; i < times.length; i++) {
            times[i] = manifest().probe().times().get(i).floatValue();
        }
        return predictNoise(x, HostTensors.create(x.getManager(), times));
    }

    @Override
    protected Shape probeOutputShape() {
        long[] s = manifest().imageShape();
        return new Shape(GoldenProbe.ROWS, s[0], s[1], s[2]);
    }
}
