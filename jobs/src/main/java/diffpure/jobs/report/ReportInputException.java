package diffpure.jobs.report;

/** The report's input tables are missing or cannot be read; the message names the path. */
public final class ReportInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** With a message naming the path and what is wrong. */
    public ReportInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** With a message naming the path and what is wrong. */
    public ReportInputException(String message) {
        super(message);
    }
}
