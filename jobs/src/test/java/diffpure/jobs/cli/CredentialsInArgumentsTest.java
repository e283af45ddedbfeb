package diffpure.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import diffpure.jobs.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * No command runs with a URI holding credentials in its arguments, and none prints them: every
 * command of {@code bin/diffpure} (found from the command tree, so a new one is covered) is refused
 * before it starts, with the URI shown without its user information. Credentials in the Hadoop
 * configuration are checked through every command in CredentialsEveryCommandTest and through a
 * whole run with storage faults in StorageFaultsTest; in experiment files and {@code --set} values
 * in ConfigSafetyTest.
 */
class CredentialsInArgumentsTest {
    private static final String SECRET = "argTestSecret/Zq8Wm3Lp6Rt1Yb4";
    private static final String URI = "s3a://AKIAARGTEST:" + SECRET + "@bucket/results";

    private static void commands(CommandLine c, List<String> path, List<List<String>> out) {
        out.add(path);
        for (Map.Entry<String, CommandLine> s : c.getSubcommands().entrySet()) {
            List<String> sub = new ArrayList<>(path);
            sub.add(s.getKey());
            commands(s.getValue(), sub, out);
        }
    }

    @Test
    void everyCommandRefusesAUriWithCredentialsAndNeverPrintsThem() {
        List<List<String>> all = new ArrayList<>();
        commands(new CommandLine(new Main()), List.of(), all);
        assertTrue(all.size() >= 10, "commands: " + all);
        for (List<String> command : all) {
            for (List<String> tail :
                    List.of(
                            List.of("--output", URI),
                            List.of("--set", "data.images=" + URI),
                            List.of("--output=" + URI))) {
                List<String> args = new ArrayList<>(command);
                args.addAll(tail);
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code =
                        Main.execute(
                                args.toArray(new String[0]),
                                new PrintWriter(out, true),
                                new PrintWriter(err, true));
                String printed = out + "" + err;
                assertEquals(2, code, args + ": " + printed);
                assertTrue(printed.contains("s3a://***@bucket/results"), args + ": " + printed);
                assertTrue(printed.contains("credentials in a URI are refused"), printed);
                assertFalse(printed.contains(SECRET) || printed.contains("AKIAARGTEST"), printed);
            }
        }
    }
}
