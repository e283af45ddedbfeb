package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The executors' model-load reports count the perceptual model beside the score model and
 * classifier.
 */
class ModelLoadsTest {
    @Test
    void eachJvmKeepsItsHighestCountsOfEveryModel() {
        List<ExecutorLoads> perJvm =
                ModelLoads.loadsPerJvm(List.of("1 42 1 1 0", "1 42 1 1 1", "2 7 1 1 1"));
        assertEquals(
                List.of(new ExecutorLoads("2", 7, 1, 1, 1), new ExecutorLoads("1", 42, 1, 1, 1)),
                perJvm);
        assertEquals("once in each of 2 executor JVMs", ModelLoads.describe(perJvm));
    }

    @Test
    void aPerceptualModelLoadedTwiceInOneJvmIsReported() {
        List<ExecutorLoads> perJvm = ModelLoads.loadsPerJvm(List.of("1 42 1 1 2"));
        String d = ModelLoads.describe(perJvm);
        assertTrue(d.startsWith("more than once in an executor JVM"), d);
    }

    @Test
    void aRunWithoutAPerceptualModelReportsNone() {
        List<ExecutorLoads> perJvm = ModelLoads.loadsPerJvm(List.of("1 42 1 1 0"));
        assertEquals(0, perJvm.get(0).perceptual());
        assertEquals("once in each of 1 executor JVMs", ModelLoads.describe(perJvm));
    }
}
