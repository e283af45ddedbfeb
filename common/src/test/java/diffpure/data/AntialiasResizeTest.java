package diffpure.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The resize against Pillow's own output (fixture made by pil-resize/make_fixture.py). */
class AntialiasResizeTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = AntialiasResizeTest.class.getResourceAsStream("pil-resize/" + name)) {
            assertNotNull(in, "missing fixture " + name + "; run pil-resize/make_fixture.py");
            return in.readAllBytes();
        }
    }

    static Rgb8 input() throws IOException {
        return new Rgb8(97, 61, resource("input-97x61.rgb"));
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"41, 26", "150, 100", "97, 30", "60, 61", "32, 32", "7, 5"})
    void matchesPillowBilinearBitForBit(int w, int h) throws IOException {
        Rgb8 out = AntialiasResize.resize(input(), w, h);
        assertEquals(w, out.width());
        assertEquals(h, out.height());
        assertArrayEquals(resource("pil-" + w + "x" + h + ".rgb"), out.data());
    }

    @Test
    void sameSizeIsUntouched() throws IOException {
        Rgb8 in = input();
        assertSame(in, AntialiasResize.resize(in, 97, 61));
    }
}
