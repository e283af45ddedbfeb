package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Timeout;

/**
 * Coverage-guided fuzz test of the sanity JSON the runs table stores and rescore and report read
 * back (docs/operations.md, bad input, fuzzing): every text ends in a report that writes back to
 * JSON which reads as the same report, or in the reader's named error (an IllegalArgumentException
 * whose message starts "sanity JSON"), never another exception or a hang. Finding, fixed: adjoint
 * arrays of different lengths failed with AdjointAgreement's message, which did not say it came
 * from the sanity JSON (regression input read/regression-adjoint-length-mismatch). Corpus:
 * src/test/resources/diffpure/eval/SanityJsonFuzzTestInputs/read/. Fuzzing: {@code JAZZER_FUZZ=1
 * mvn -B -pl common test -Dtest='SanityJsonFuzzTest#read'}.
 */
class SanityJsonFuzzTest {
    /** How long {@code JAZZER_FUZZ=1} fuzzes the target. */
    static final String MAX_DURATION = "10m";

    @FuzzTest(maxDuration = MAX_DURATION)
    @Timeout(10)
    void read(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        GradientMaskingChecks.Report r;
        try {
            r = SanityJson.read(text);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith("sanity JSON"), e.getMessage());
            return;
        }
        String written = SanityJson.write(r);
        assertEquals(written, SanityJson.write(SanityJson.read(written)));
    }
}
