package diffpure.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import diffpure.purify.StepObserver;
import java.util.function.IntUnaryOperator;

/**
 * An observer that copies chosen states y_j of a walk into rows of one contiguous tensor: state j
 * goes to row {@code rowOf(j)}, or nowhere when that is negative.
 *
 * <p>One allocation for all kept states: kept tensors allocated one by one between each step's
 * short-lived temporaries pinned the CPU allocator's heap (measured with the demo models at N =
 * 1000, 4 rows: 225 MiB resident for 12.5 MiB of states; with the store, the states' bytes).
 */
final class StateStore implements StepObserver {
    private final NDManager scope;
    private final int count;
    private final IntUnaryOperator rowOf;
    private NDArray rows;

    private StateStore(NDManager scope, int count, NDArray rows, IntUnaryOperator rowOf) {
        this.scope = scope;
        this.count = count;
        this.rows = rows;
        this.rowOf = rowOf;
    }

    /**
     * A store of {@code count} rows in {@code scope}, allocated when the walk starts (its rows take
     * the first state's shape).
     */
    static StateStore allocatedAtStart(NDManager scope, int count, IntUnaryOperator rowOf) {
        return new StateStore(scope, count, null, rowOf);
    }

    /** A store writing into existing rows (a buffer reused by several walks). */
    static StateStore into(NDArray rows, IntUnaryOperator rowOf) {
        return new StateStore(null, (int) rows.getShape().get(0), rows, rowOf);
    }

    /** The rows: state j at row rowOf(j), the others zero. */
    NDArray rows() {
        return rows;
    }

    /** The number of rows. */
    int count() {
        return count;
    }

    /** Kept row i, a view into the rows: close it when done, the rows stay. */
    NDArray row(int i) {
        return rows.get(i);
    }

    @Override
    public void start(int from, NDArray y) {
        if (rows == null) {
            rows = scope.zeros(new Shape(count).addAll(y.getShape()), y.getDataType());
        }
        keep(from, y);
    }

    @Override
    public void step(int k, NDArray y, NDArray next) {
        keep(k + 1, next);
    }

    private void keep(int j, NDArray state) {
        int row = rowOf.applyAsInt(j);
        if (row >= 0) {
            rows.set(new NDIndex(row), state);
        }
    }
}
