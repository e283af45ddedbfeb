package diffpure.config;

/** A bad configuration: names the key, the value and where it was set. */
public final class ConfigError extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigError(String message) {
        super(message);
    }

    public ConfigError(String message, Throwable cause) {
        super(message, cause);
    }
}
