package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --max-chunks as evaluate, rescore and strongest parse it (the run itself: EvaluationJobTest). */
class MaxChunksTest {
    private static MaxChunks parse(Object command, MaxChunks option, String... args) {
        new CommandLine(command).parseArgs(args);
        return option;
    }

    @Test
    void theThreeChunkedCommandsTakeItAndDefaultToAll() {
        EvaluateCommand evaluate = new EvaluateCommand();
        assertEquals(2, parse(evaluate, evaluate.maxChunks, "--max-chunks", "2").value());
        RescoreCommand rescore = new RescoreCommand();
        assertEquals(
                0,
                parse(
                                rescore,
                                rescore.maxChunks,
                                "--output",
                                "o",
                                "--run",
                                "r",
                                "--max-chunks",
                                "0")
                        .value());
        StrongestCommand strongest = new StrongestCommand();
        assertEquals(-1, parse(strongest, strongest.maxChunks, "--output", "o").value());
    }

    @Test
    void aNegativeCountIsRefusedByName() {
        EvaluateCommand evaluate = new EvaluateCommand();
        MaxChunks m = parse(evaluate, evaluate.maxChunks, "--max-chunks", "-1");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, m::value);
        assertTrue(
                e.getMessage().startsWith("--max-chunks must be >= 0, found -1"), e.getMessage());
    }
}
