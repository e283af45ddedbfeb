package diffpure.model.synthetic;

import ai.djl.ndarray.types.Shape;
import diffpure.model.ScoreModel;

/**
 * What every synthetic score model shares: a fixed image shape, the whole time range, a
 * description.
 */
abstract class AbstractSyntheticScoreModel implements ScoreModel {
    private final Shape imageShape;
    private final String description;

    AbstractSyntheticScoreModel(Shape imageShape, String description) {
        this.imageShape = imageShape;
        this.description = description;
    }

    @Override
    public final Shape imageShape() {
        return imageShape;
    }

    @Override
    public final double minTime() {
        return 0;
    }

    @Override
    public final double maxTime() {
        return 1;
    }

    @Override
    public final String describe() {
        return description;
    }
}
