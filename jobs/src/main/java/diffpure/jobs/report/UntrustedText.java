package diffpure.jobs.report;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Strings that come from tables and configs (experiment names, run ids, attack names, warnings,
 * paths) as a report shows them: nothing in them is markup, a link or a line break of the report.
 * Control and bidirectional-override characters are shown as {@code \\uXXXX}; text longer than
 * {@link #MAX_SHOWN} characters is cut, saying how long it was.
 */
public final class UntrustedText {
    /** The most characters of one string a report shows. */
    static final int MAX_SHOWN = 2000;

    /** The most characters of a chart label. */
    static final int MAX_LABEL = 80;

    /** The longest file-name part a setting's id may take (file systems allow 255 bytes). */
    static final int MAX_NAME = 120;

    private UntrustedText() {}

    /** The string with control characters made visible and cut to {@link #MAX_SHOWN}. */
    public static String visible(String s) {
        if (s == null) {
            return "";
        }
        String cut =
                s.length() > MAX_SHOWN
                        ? s.substring(0, MAX_SHOWN)
                                + String.format(Locale.ROOT, "... (%d characters)", s.length())
                        : s;
        StringBuilder b = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            if (hidden(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A label drawn on a chart: visible, and cut to {@value #MAX_LABEL} characters. */
    static String chartLabel(String s) {
        String v = visible(s);
        return v.length() > MAX_LABEL ? v.substring(0, MAX_LABEL - 3) + "..." : v;
    }

    /** Text for HTML element content and quoted attribute values. */
    static String html(String s) {
        String v = visible(s);
        StringBuilder b = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Text for Markdown (CommonMark and GitHub tables): every character that could start emphasis,
     * code, a link or image ('[' and ']'; '(' and '!' mean nothing without them), raw HTML or a
     * table cell is escaped, so the text renders as itself.
     */
    static String markdown(String s) {
        String v = visible(s);
        StringBuilder b = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\\', '`', '*', '_', '[', ']', '|', '~' -> b.append('\\').append(c);
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Markdown code for an id or path (run ids, hashes, run.output): a code span, inside which
     * nothing is markup, when the string holds no backtick, '|', control character or outer space
     * and is not cut; else escaped text.
     */
    static String markdownCode(String s) {
        boolean plain =
                s != null
                        && !s.isBlank()
                        && s.length() <= MAX_SHOWN
                        && s.strip().equals(s)
                        && s.chars().noneMatch(c -> c == '`' || c == '|' || hidden((char) c));
        return plain ? "`" + s + "`" : markdown(s);
    }

    /**
     * A name safe as one file-name part: characters other than letters, digits, '.', '_' and '-'
     * become '-', and a name that needed changing (or was longer than {@link #MAX_NAME}, or is all
     * dots) gets a hash of the original, so different names stay different files.
     */
    static String fileName(String s) {
        String safe = s.replaceAll("[^A-Za-z0-9._-]+", "-");
        boolean changed = !safe.equals(s) || safe.length() > MAX_NAME || safe.matches("[.]*");
        if (!changed) {
            return safe;
        }
        String cut = safe.length() > MAX_NAME - 17 ? safe.substring(0, MAX_NAME - 17) : safe;
        return cut + "-" + sha256(s).substring(0, 16);
    }

    private static boolean hidden(char c) {
        return c < 0x20 && c != '\t'
                || c == 0x7f
                || c >= 0x80 && c < 0xa0
                || c >= 0x200b && c <= 0x200f
                || c >= 0x202a && c <= 0x202e
                || c >= 0x2066 && c <= 0x2069
                || c == 0x2028
                || c == 0x2029
                || c == 0xfeff;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
