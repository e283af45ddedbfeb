package diffpure.model;

import java.nio.file.Path;

/** A model file or manifest is missing, corrupt, or does not behave as its manifest says. */
public class ModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public ModelException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
