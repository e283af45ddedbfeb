package diffpure.model;

/**
 * One check a model file passed while it was loaded or registered: what was checked and what was
 * found. {@code diffpure model verify} prints them.
 *
 * @param name short name of the check ("sha256", "output shape", ...)
 * @param detail what was found
 */
public record ModelCheck(String name, String detail) {
    @Override
    public String toString() {
        return name + ": " + detail;
    }
}
