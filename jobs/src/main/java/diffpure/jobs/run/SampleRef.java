package diffpure.jobs.run;

import java.io.Serializable;

/**
 * A planned sample: what the driver knows of it without reading pixels.
 *
 * @param index position in the data set
 * @param id stable sample id
 * @param label label, -1 when it could not be read
 * @param batch batch number inside its partition
 * @param error why the sample is bad already at planning (its label), or null
 */
public record SampleRef(int index, long id, int label, int batch, String error)
        implements Serializable {}
