package diffpure.jobs.store;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * One column of the {@code samples} table, declared once in {@link SamplesTable}: its name, Spark
 * type, the schema version that added it, how a row's value is computed from the row's {@link
 * SampleFacts} (the writer) and how it is read back from a row (the readers).
 *
 * @param name column name
 * @param type Spark type (every column is nullable)
 * @param since the schema version that added it
 * @param value the row's value as Spark stores it (boxed numbers, object arrays for arrays)
 * @param cell reads a non-null value back from a row
 * @param absent what a reader gets where the row lacks the column (an older schema version, or a
 *     projection without it) or holds null
 * @param <T> the value a reader gets
 */
public record SampleColumn<T>(
        String name,
        DataType type,
        int since,
        Function<SampleFacts, Object> value,
        Cell<T> cell,
        T absent) {

    /** Reads the non-null value at index i of a row. */
    @FunctionalInterface
    public interface Cell<T> {
        T read(Row r, int i);
    }

    /**
     * How values of one Java type are stored and read back.
     *
     * @param type the Spark type
     * @param stored the value as Spark's row encoder takes it
     * @param cell reads it back
     */
    record Kind<T>(DataType type, Function<T, Object> stored, Cell<T> cell) {}

    static final Kind<Integer> INT = plain(DataTypes.IntegerType);
    static final Kind<Long> LONG = plain(DataTypes.LongType);
    static final Kind<Double> DOUBLE = plain(DataTypes.DoubleType);
    static final Kind<String> STRING = plain(DataTypes.StringType);
    static final Kind<Boolean> BOOLEAN = plain(DataTypes.BooleanType);

    // Spark's row encoder takes object arrays (or Scala Seqs) for array columns, not
    // java.util.List; a row read back holds Seqs, which getList turns into Lists.
    static final Kind<int[]> INTS =
            new Kind<>(
                    DataTypes.createArrayType(DataTypes.IntegerType, false),
                    a -> Arrays.stream(a).boxed().toArray(Integer[]::new),
                    (r, i) -> ints(r.getList(i)));
    static final Kind<float[]> FLOATS =
            new Kind<>(
                    DataTypes.createArrayType(DataTypes.FloatType, false),
                    SampleColumn::boxed,
                    (r, i) -> floats(r.getList(i)));
    static final Kind<List<String>> STRINGS =
            new Kind<>(
                    DataTypes.createArrayType(DataTypes.StringType, false),
                    l -> l.toArray(new String[0]),
                    (r, i) -> List.copyOf(r.<String>getList(i)));

    /** The value stored for one sample. */
    Object valueOf(SampleFacts f) {
        return value.apply(f);
    }

    /**
     * This column's value in a row read back: {@link #absent} where the row's schema lacks the
     * column or it is null.
     */
    public T of(Row r) {
        scala.Option<Object> at = r.schema().getFieldIndex(name);
        if (at.isEmpty()) {
            return absent;
        }
        int i = (Integer) at.get();
        return r.isNullAt(i) ? absent : cell.read(r, i);
    }

    /** A column whose stored value is f's value in kind k, null where f gives null. */
    static <T> SampleColumn<T> typed(
            String name, Kind<T> k, int since, Function<SampleFacts, T> f, T absent) {
        return new SampleColumn<>(
                name,
                k.type(),
                since,
                s -> {
                    T v = f.apply(s);
                    return v == null ? null : k.stored().apply(v);
                },
                k.cell(),
                absent);
    }

    private static <T> Kind<T> plain(DataType t) {
        return new Kind<>(t, v -> v, (r, i) -> r.getAs(i));
    }

    static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    static float[] floats(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }

    private static Float[] boxed(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}
