package diffpure.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks on config text before HOCON parses it: its size, and how deep objects and arrays nest (the
 * parser recurses once per level: 40 kB of brackets in an experiment file overflowed its stack, as
 * they did in a model manifest).
 */
public final class ConfigText {
    /** Largest experiment file, included file or stored config (the shipped ones are ~2 KiB). */
    static final long MAX_BYTES = 1 << 20;

    /** Deepest nesting of objects and arrays (experiments use 3). */
    static final int MAX_NESTING = 32;

    private ConfigText() {}

    /**
     * A file's text, checked.
     *
     * @throws ConfigError naming the file when it is larger than {@link #MAX_BYTES}, unreadable, or
     *     nested too deep
     */
    static String read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new ConfigError(
                        file
                                + ": "
                                + size
                                + " bytes, more than a config may have ("
                                + MAX_BYTES
                                + ")");
            }
            return checked(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ConfigError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The text, checked.
     *
     * @param where the file or setting it came from, for the error
     * @throws ConfigError naming {@code where} when the text is too long or nested too deep
     */
    static String checked(String text, String where) {
        if (text.length() > MAX_BYTES) {
            throw new ConfigError(
                    where + ": " + text.length() + " characters, more than a config may have");
        }
        int at = nestingBreach(text, MAX_NESTING);
        if (at >= 0) {
            throw new ConfigError(
                    where
                            + ": objects and arrays nested more than "
                            + MAX_NESTING
                            + " deep (at character "
                            + at
                            + ")");
        }
        return text;
    }

    /**
     * Where HOCON or JSON text first nests objects and arrays deeper than {@code max}, or -1: the
     * config parser recurses per level, so 20,000 brackets overflow its stack. Brackets inside
     * quoted strings do not count; inside comments they do, which can only refuse text no tool
     * writes.
     */
    public static int nestingBreach(String text, int max) {
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '\\') {
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == '{' || ch == '[') {
                if (++depth > max) {
                    return i;
                }
            } else if (ch == '}' || ch == ']') {
                depth--;
            }
        }
        return -1;
    }
}
