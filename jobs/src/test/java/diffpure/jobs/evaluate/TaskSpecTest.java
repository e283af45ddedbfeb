package diffpure.jobs.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import diffpure.config.ConfigError;
import diffpure.config.ExperimentConfig;
import diffpure.jobs.run.ExecutorContext;
import diffpure.jobs.run.TaskSpec;
import diffpure.torch.TorchThreads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task spec the driver resolves from the manifests is the one an executor would derive from its
 * loaded models, for every setting of a sweep and for {@code gradient-mode = auto}, and it reaches
 * the executor unchanged.
 */
class TaskSpecTest {
    @TempDir static Path tmp;

    @Test
    void theDriversSpecsAreTheExecutorsForEverySettingAndSurviveSerialization() throws Exception {
        TorchThreads.ensure(1);
        // at t* = 0.01 (5 steps), 2 images x EOT 2 per call: backprop fits 128m, only exact 8m
        for (String budget : List.of("128m", "8m")) {
            ExperimentConfig c =
                    TinyRuns.config(
                                    tmp.resolve(budget),
                                    "attack.gradient-mode=auto",
                                    "runtime.memory-budget=" + budget,
                                    "sweep.eps=[\"0\", \"8/255\"]",
                                    "sweep.t-star=[\"0.01\", \"0.02\"]")
                            .config();
            List<TaskSpec> driver = TaskSpec.Manifests.read(c, new Configuration()).settings(c);
            ExecutorContext ctx = ExecutorContext.of(c, Device.cpu(), 1, new Configuration());
            assertEquals(4, driver.size());
            for (int i = 0; i < driver.size(); i++) {
                ExperimentConfig setting = c.settings().get(i);
                TaskSpec spec = driver.get(i);
                assertEquals(ctx.spec(setting), spec, budget + ", setting " + i);
                assertEquals(setting, spec.config());
                assertEquals(spec, roundTrip(spec));
                assertEquals("auto", spec.plan().configuredMode());
                if (setting.purify().tStar() == 0.01) {
                    assertEquals(5, spec.steps()); // t* / dt
                    assertEquals(budget.equals("128m") ? "backprop" : "exact", spec.plan().mode());
                } else {
                    assertEquals(10, spec.steps());
                }
                assertEquals(2, spec.attackIterations());
            }
        }
    }

    @Test
    void aBudgetNothingFitsIsRefusedOnTheDriverNamingTheKey() {
        ExperimentConfig c =
                TinyRuns.config(
                                tmp.resolve("tiny-budget"),
                                "attack.gradient-mode=auto",
                                "runtime.memory-budget=1m")
                        .config();
        ConfigError e =
                assertThrows(
                        ConfigError.class,
                        () -> TaskSpec.Manifests.read(c, new Configuration()).settings(c));
        assertTrue(e.getMessage().startsWith("runtime.memory-budget = 1.0 MiB"), e.getMessage());
    }

    private static TaskSpec roundTrip(TaskSpec spec) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(spec);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (TaskSpec) in.readObject();
        }
    }
}
