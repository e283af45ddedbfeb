package diffpure.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SanityJsonTest {
    /** A row as the StringBuilder writer stored it before Gson wrote this column. */
    private static final String STORED =
            "{\"subset\": 4, \"checks\": [{\"name\": \"zero-gradients\", \"measured\":"
                    + " {\"samples\": 4, \"samples_with_zero_gradients\": 0}, \"warning\": null},"
                    + " {\"name\": \"unbounded\", \"measured\": {\"eps\": 1.0, \"robust\": 0.25,"
                    + " \"limit\": 0.02}, \"warning\": \"pgd-eot with unbounded eps 1 left 25.0%"
                    + " robust (> 2.0%)\"}, {\"name\": \"square\", \"measured\": {\"skipped\":"
                    + " \"square needs a ball on the image; \\\"flow\\\"\\u0001 uses a flow"
                    + " bound\"}, \"warning\": null}], \"adjoint\": {\"compared_with\": \"exact\","
                    + " \"cosine_min\": 0.9969, \"sample_ids\": [40, 41], \"cosine\": [0.9969,"
                    + " null], \"reconstruction_error\": [1.5E-5, null]}}";

    @Test
    void rowsStoredBeforeGsonReadBackAndAreWrittenByteForByte() {
        GradientMaskingChecks.Report r = GradientMaskingChecks.Report.parse(STORED);
        assertEquals(4, r.subset());
        assertEquals(3, r.checks().size());
        assertEquals(
                List.of("pgd-eot with unbounded eps 1 left 25.0% robust (> 2.0%)"), r.warnings());
        assertEquals(4L, r.checks().get(0).measured().get("samples"));
        assertEquals(0.25, r.checks().get(1).measured().get("robust"));
        assertEquals(
                "square needs a ball on the image; \"flow\"\u0001 uses a flow bound",
                r.checks().get(2).measured().get("skipped"));
        assertNull(r.checks().get(2).warning());
        assertEquals("exact", r.adjoint().exactMode());
        assertEquals(0.9969, r.adjoint().cosine()[0]);
        assertTrue(Double.isNaN(r.adjoint().cosine()[1]));
        assertEquals(1.5e-5, r.adjoint().reconstructionError()[0]);
        assertEquals(STORED, r.json(), "the stored format is unchanged");
    }

    @Test
    void whatIsWrittenReadsBackEqual() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("robust_base", 0.5);
        m.put("only_base_broken", 3);
        m.put("p_one_sided", Double.NaN);
        m.put("note", "</script><b>x</b>\t\n\u2028");
        GradientMaskingChecks.Report r =
                new GradientMaskingChecks.Report(
                        8,
                        List.of(
                                new GradientMaskingChecks.Check(
                                        "more-iterations", m, "a \"warning\"")));
        String json = r.json();
        assertTrue(json.contains("\"p_one_sided\": null"), json);
        assertTrue(json.contains("</script><b>x</b>"), "no HTML escaping in stored text: " + json);
        GradientMaskingChecks.Report back = GradientMaskingChecks.Report.parse(json);
        assertEquals(json, back.json());
        assertEquals("</script><b>x</b>\t\n\u2028", back.checks().get(0).measured().get("note"));
        assertEquals("a \"warning\"", back.checks().get(0).warning());
        assertNull(back.adjoint());
    }

    @Test
    void malformedSanityTextIsANamedError() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("", "sanity JSON must be an object, found null");
        bad.put("[1, 2]", "sanity JSON must be an object, found an array");
        bad.put("{\"checks\": []}", "sanity JSON has no 'subset'");
        bad.put(
                "{\"subset\": \"x\", \"checks\": []}",
                "sanity JSON: 'subset' must be a number, found text");
        bad.put(
                "{\"subset\": 1, \"checks\": {}}",
                "sanity JSON: 'checks' must be an array, found an object");
        bad.put(
                "{\"subset\": 1, \"checks\": [3]}",
                "sanity JSON: a check must be an object, found a number");
        bad.put(
                "{\"subset\": 1, \"checks\": [{\"name\": \"x\", \"measured\": {\"a\": [1]}}]}",
                "sanity JSON: measured 'a' must be a number or text, found an array");
        bad.put("{\"subset\": 1, \"checks\": [", "sanity JSON does not parse");
        bad.put("[".repeat(100_000), "sanity JSON does not parse");
        bad.put(
                "{\"subset\": 1, \"checks\": [], \"adjoint\": {\"compared_with\": \"exact\","
                        + " \"sample_ids\": [1, 2], \"cosine\": [1], \"reconstruction_error\": [1]}}",
                "sanity JSON: adjoint: 2 samples but 1 cosines and 1 reconstruction errors");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> GradientMaskingChecks.Report.parse(e.getKey()),
                            e.getKey());
            assertTrue(x.getMessage().startsWith(e.getValue()), x.getMessage());
        }
    }
}
