package diffpure.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import diffpure.torch.HostTensors;
import diffpure.torch.PtAutograd;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The convention checks every model goes through, when it is registered ({@link ModelManifests})
 * and every time it is loaded ({@link PtTorchScript}): the probe input (ProbeInputs from the seed,
 * {@link GoldenProbe#ROWS} rows) is run through the model, and its output must have the
 * convention's shape and dtype, be finite, and not depend on the batch it is computed in (a row
 * alone gives what it gives inside the probe batch: BatchNorm traced in train mode fails this).
 */
final class ProbeRun {
    /**
     * A row computed alone may differ from the same row inside a batch by BLAS rounding only
     * (kernels are chosen by shape): relative to max(1, largest |output|).
     */
    static final double BATCH_TOLERANCE = 1e-4;

    private ProbeRun() {}

    /** What the probe is run with: the manifest's view of the model. */
    record Setup(ModelKind kind, long[] imageShape, int classes, long seed, List<Double> times) {
        /** The output shape the convention demands for inputs of {@code in}. */
        Shape expectedOutput(Shape in) {
            return switch (kind) {
                case SCORE_MODEL -> in;
                case CLASSIFIER -> new Shape(in.get(0), classes);
                case PERCEPTUAL -> new Shape(in.get(0));
            };
        }
    }

    /**
     * The probe inputs of a kind: a score model's images in [-1, 1) and its times, a classifier's
     * images in [0, 1), a perceptual model's two batches in [0, 1) (the second from seed + 1, so
     * the pair is not the same image and the distance is not 0).
     */
    static NDArray[] inputs(NDManager scope, Setup s, Shape inShape) {
        int n = (int) inShape.size();
        return switch (s.kind()) {
            case SCORE_MODEL -> {
                float[] times = new float[(int) inShape.get(0)];
                for (int i = 0; i < times.length; i++) {
                    times[i] = s.times().get(i).floatValue();
                }
                yield new NDArray[] {
                    scope.create(ProbeInputs.uniform(s.seed(), n, -1f, 1f), inShape),
                    HostTensors.create(scope, times)
                };
            }
            case CLASSIFIER ->
                    new NDArray[] {scope.create(ProbeInputs.uniform(s.seed(), n, 0f, 1f), inShape)};
            case PERCEPTUAL ->
                    new NDArray[] {
                        scope.create(ProbeInputs.uniform(s.seed(), n, 0f, 1f), inShape),
                        scope.create(ProbeInputs.uniform(s.seed() + 1, n, 0f, 1f), inShape)
                    };
        };
    }

    /**
     * Runs the probe and the checks.
     *
     * @return the flattened probe output, float32
     * @throws ModelException naming the file and what was seen
     */
    static float[] run(TorchScriptModule module, Setup s, Consumer<ModelCheck> log) {
        Path file = module.file();
        long[] c = s.imageShape();
        Shape inShape = new Shape(GoldenProbe.ROWS, c[0], c[1], c[2]);
        Shape expected = s.expectedOutput(inShape);
        try (NDManager scope = module.manager().newSubManager();
                PtAutograd.Mode noGrad = PtAutograd.disabled()) {
            NDArray[] in = inputs(scope, s, inShape);
            for (int i = 0; i < in.length; i++) {
                in[i] = in[i].toDevice(module.device(), false);
            }
            String call =
                    switch (s.kind()) {
                        case SCORE_MODEL -> "forward(x float32" + inShape + ", t float32(2))";
                        case CLASSIFIER -> "forward(x float32" + inShape + ")";
                        case PERCEPTUAL ->
                                "forward(a float32" + inShape + ", b float32" + inShape + ")";
                    };
            NDArray out = call(module, call, s.kind(), in);
            if (!out.getShape().equals(expected)) {
                throw new ModelException(
                        file,
                        "wrong output shape "
                                + out.getShape()
                                + " for the probe input "
                                + inShape
                                + ", expected "
                                + expected
                                + " ("
                                + s.kind().label()
                                + " calling convention)");
            }
            if (out.getDataType() != DataType.FLOAT32) {
                throw new ModelException(
                        file,
                        "output dtype "
                                + out.getDataType()
                                + " for the probe input, expected float32 (cast inside the"
                                + " model: the calling convention is float32)");
            }
            log.accept(new ModelCheck("output shape", call + " -> " + out.getShape()));
            float[] values = out.toFloatArray();
            double largest = 0;
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new ModelException(
                            file,
                            "non-finite output ("
                                    + values[i]
                                    + " at flat index "
                                    + i
                                    + ") for the golden probe input");
                }
                largest = Math.max(largest, Math.abs(values[i]));
            }
            log.accept(
                    new ModelCheck(
                            "finite output",
                            String.format(
                                    Locale.ROOT,
                                    "%d values, largest |value| %.4g",
                                    values.length,
                                    largest)));
            checkBatchIndependence(module, s.kind(), in, values, largest, log);
            return values;
        }
    }

    /** The last probe row alone must give what it gave inside the batch. */
    private static void checkBatchIndependence(
            TorchScriptModule module,
            ModelKind kind,
            NDArray[] inputs,
            float[] batchOut,
            double largest,
            Consumer<ModelCheck> log) {
        int row = GoldenProbe.ROWS - 1;
        NDIndex last = new NDIndex(row + ":" + (row + 1));
        NDArray[] rowAlone = new NDArray[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            rowAlone[i] = inputs[i].get(last);
        }
        NDArray alone = call(module, "forward on probe row " + row + " alone", kind, rowAlone);
        float[] single = alone.toFloatArray();
        int per = batchOut.length / GoldenProbe.ROWS;
        if (single.length != per) {
            throw new ModelException(
                    module.file(),
                    "output for one row has "
                            + single.length
                            + " values, "
                            + per
                            + " per row inside the probe batch");
        }
        double worst = 0;
        for (int i = 0; i < per; i++) {
            worst = Math.max(worst, Math.abs(single[i] - batchOut[row * per + i]));
        }
        double allowed = BATCH_TOLERANCE * Math.max(1, largest);
        if (!(worst <= allowed)) {
            throw new ModelException(
                    module.file(),
                    String.format(
                            Locale.ROOT,
                            "output depends on the batch it is computed in: probe row %d alone"
                                    + " differs from the same row inside the batch of %d by up to"
                                    + " %.4g (allowed %.2g) in eval mode. A BatchNorm left in"
                                    + " train mode (for example traced in train mode) does this:"
                                    + " export the model after model.eval()",
                            row,
                            GoldenProbe.ROWS,
                            worst,
                            allowed));
        }
        log.accept(
                new ModelCheck(
                        "batch independence",
                        String.format(
                                Locale.ROOT,
                                "probe row %d alone matches it inside the batch of %d within"
                                        + " %.2g (allowed %.2g)",
                                row,
                                GoldenProbe.ROWS,
                                worst,
                                allowed)));
    }

    private static NDArray call(
            TorchScriptModule module, String what, ModelKind kind, NDArray... inputs) {
        try {
            return module.forward(inputs);
        } catch (EngineException e) {
            throw new ModelException(
                    module.file(),
                    what
                            + " failed; does the file follow the "
                            + kind.label()
                            + " calling convention? libtorch says: "
                            + firstLine(e.getMessage()),
                    e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
