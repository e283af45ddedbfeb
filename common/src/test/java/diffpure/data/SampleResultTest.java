package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SampleResultTest {
    @Test
    void holdsExactlyOneOfSampleAndError() {
        Sample s = new Sample(7, 1, new float[] {0f});
        SampleResult ok = SampleResult.ok(3, s);
        assertTrue(ok.isOk());
        assertEquals(7, ok.id());
        SampleResult bad = SampleResult.failed(3, 7, "x.bin: sample 3 is bad");
        assertFalse(bad.isOk());
        assertThrows(IllegalArgumentException.class, () -> new SampleResult(3, 7, s, "both"));
        assertThrows(IllegalArgumentException.class, () -> new SampleResult(3, 7, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SampleResult(3, 8, s, null));
    }
}
