package diffpure.model.synthetic;

import diffpure.data.ImageDataset;
import diffpure.data.Sample;
import diffpure.noise.GaussianNoise;
import diffpure.noise.NoiseKey;
import diffpure.noise.Purpose;

/**
 * Samples of a {@link GaussianMixture} as an evaluation set: sample i has label i mod K (classes
 * balanced) and image x = clamp((u + 1) / 2, 0, 1) with u = mu_c + s z, z drawn from the key (seed,
 * i). The clamp touches a coordinate more than (1 - |mu|) / s standard deviations out (5 for {@link
 * AnalyticDefence#STANDARD}), so the data follow the mixture up to that tail. Immutable.
 */
public final class MixtureDataset implements ImageDataset {
    private final GaussianMixture mixture;
    private final int size;
    private final long seed;

    /**
     * @throws IllegalArgumentException when size &lt; 1
     */
    public MixtureDataset(GaussianMixture mixture, int size, long seed) {
        if (size < 1) {
            throw new IllegalArgumentException(
                    "a mixture data set needs >= 1 sample, found " + size);
        }
        this.mixture = mixture;
        this.size = size;
        this.seed = seed;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public long[] imageShape() {
        return mixture.imageShape().getShape();
    }

    @Override
    public int classes() {
        return mixture.classes();
    }

    @Override
    public int label(int index) {
        return index % mixture.classes();
    }

    @Override
    public Sample get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(
                    "sample " + index + " of " + size + " in " + source());
        }
        int c = label(index);
        double[] mu = mixture.mean(c);
        float[] z = new float[mu.length];
        GaussianNoise.fill(new NoiseKey(seed, index, Purpose.TEST, 0, 0), 0, z, 0, z.length);
        float[] x = new float[mu.length];
        for (int d = 0; d < mu.length; d++) {
            double u = mu[d] + mixture.std() * z[d];
            x[d] = (float) Math.min(1, Math.max(0, (u + 1) / 2));
        }
        return new Sample(index, c, x);
    }

    @Override
    public String source() {
        return mixture + " samples, seed " + seed;
    }
}
