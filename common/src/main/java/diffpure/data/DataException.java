package diffpure.data;

/**
 * A data file is missing, corrupt or truncated, or holds an out-of-range label; the message names
 * it.
 */
public class DataException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
