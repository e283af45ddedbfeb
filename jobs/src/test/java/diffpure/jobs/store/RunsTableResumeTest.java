package diffpure.jobs.store;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * A resume is refused when the network measuring an lpips bound changed, as for the score model and
 * the classifier; a runs row without the column (an older table) or without a perceptual model does
 * not block it.
 */
class RunsTableResumeTest {
    private static final String HASH = "h".repeat(64);
    private static final String SCORE = "e".repeat(64);
    private static final String CLF = "c".repeat(64);
    private static final String LPIPS = "a".repeat(64);

    private static Provenance now(String perceptual) {
        return new Provenance(
                "fixed", "0".repeat(40), HASH, "unet", SCORE, "wrn", CLF, "cifar10", perceptual);
    }

    /** A runs row of the given schema with the hash and sha256 columns set. */
    private static Row previous(StructType schema, String perceptual) {
        Object[] v = new Object[schema.size()];
        v[schema.fieldIndex("config_hash")] = HASH;
        v[schema.fieldIndex("score_model_sha256")] = SCORE;
        v[schema.fieldIndex("classifier_sha256")] = CLF;
        if (schema.getFieldIndex("perceptual_sha256").isDefined()) {
            v[schema.fieldIndex("perceptual_sha256")] = perceptual;
        }
        return new GenericRowWithSchema(v, schema);
    }

    @Test
    void aChangedPerceptualModelIsRefusedByName() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                RunsTable.refuseChanged(
                                        previous(RunsTable.SCHEMA, LPIPS), now("b".repeat(64))));
        assertTrue(
                e.getMessage()
                        .contains("run fixed was started with perceptual model sha256 " + LPIPS),
                e.getMessage());
        assertTrue(e.getMessage().contains("b".repeat(64)), e.getMessage());
    }

    @Test
    void theSameModelsResume() {
        assertDoesNotThrow(
                () -> RunsTable.refuseChanged(previous(RunsTable.SCHEMA, LPIPS), now(LPIPS)));
        assertDoesNotThrow(
                () -> RunsTable.refuseChanged(previous(RunsTable.SCHEMA, null), now("")));
    }

    @Test
    void aTableOlderThanTheColumnResumes() {
        StructType older = new StructType();
        for (StructField f : RunsTable.SCHEMA.fields()) {
            if (!f.name().equals("perceptual_sha256")) {
                older = older.add(f);
            }
        }
        StructType o = older;
        assertDoesNotThrow(() -> RunsTable.refuseChanged(previous(o, null), now(LPIPS)));
    }

    @Test
    void aChangedClassifierIsStillRefused() {
        Provenance other =
                new Provenance(
                        "fixed",
                        "0".repeat(40),
                        HASH,
                        "unet",
                        SCORE,
                        "wrn",
                        "d".repeat(64),
                        "x",
                        "");
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> RunsTable.refuseChanged(previous(RunsTable.SCHEMA, null), other));
        assertTrue(e.getMessage().contains("classifier sha256 " + CLF), e.getMessage());
    }
}
