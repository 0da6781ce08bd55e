package dev.speakerembedding.hub;

/** The Hub answered 404 for the repository, the revision or the file. */
public class RepoNotFoundException extends HubException {
    private static final long serialVersionUID = 1L;

    /** What the Hub said is missing, from its {@code X-Error-Code} header. */
    public enum Missing { REPOSITORY, REVISION, FILE }

    private final Missing missing;

    public RepoNotFoundException(String message, Missing missing) {
        super(message, null, false);
        this.missing = missing;
    }

    public Missing missing() {
        return missing;
    }
}
