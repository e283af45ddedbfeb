package diffpure.data;

import java.util.Objects;

/**
 * The outcome of reading one sample in continue-on-error mode: either the sample or the reason it
 * could not be read, so that a job writes an error row for a bad sample instead of failing the run
 * or dropping it.
 *
 * @param index position in the data set
 * @param id the sample's stable id
 * @param sample the sample, or null when it could not be read
 * @param error why it could not be read (naming the file and the sample), or null when it was read
 */
public record SampleResult(int index, long id, Sample sample, String error) {
    public SampleResult {
        if ((sample == null) == (error == null)) {
            throw new IllegalArgumentException(
                    "exactly one of sample and error must be set, for sample " + id);
        }
        if (sample != null && sample.id() != id) {
            throw new IllegalArgumentException(
                    "sample id " + sample.id() + " differs from id " + id);
        }
    }

    /** A sample that was read. */
    public static SampleResult ok(int index, Sample sample) {
        Objects.requireNonNull(sample, "sample");
        return new SampleResult(index, sample.id(), sample, null);
    }

    /** A sample that could not be read, with the reason. */
    public static SampleResult failed(int index, long id, String error) {
        Objects.requireNonNull(error, "error");
        return new SampleResult(index, id, null, error);
    }

    /** Whether the sample was read. */
    public boolean isOk() {
        return sample != null;
    }
}
