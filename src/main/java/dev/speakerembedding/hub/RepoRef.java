package dev.speakerembedding.hub;

/**
 * A model repository on the Hub and the revision (branch, tag or commit) to use.
 *
 * <p>Validated here, so that no later path or URL built from it can leave the cache directory.
 */
public record RepoRef(String repoId, String revision) {
    public static final String DEFAULT_REVISION = "main";

    /**
     * Java forbids a checked exception in a record's canonical constructor, so an unsafe name surfaces here
     * as an {@link IllegalArgumentException} whose cause is the {@link UnsafeNameException}; use
     * {@link #of(String, String)} to get the checked exception itself.
     */
    public RepoRef {
        try {
            Names.validateRepoId(repoId);
            Names.validateRevision(revision);
        } catch (UnsafeNameException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Validates and builds a ref; the checked form of the constructor.
     *
     * @param revision null or blank means {@code main}
     */
    public static RepoRef of(String repoId, String revision) throws UnsafeNameException {
        String rev = revision == null || revision.isBlank() ? DEFAULT_REVISION : revision;
        Names.validateRepoId(repoId);
        Names.validateRevision(rev);
        return new RepoRef(repoId, rev);
    }

    /** The same repository pinned at {@code commit}. */
    RepoRef atCommit(String commit) {
        return new RepoRef(repoId, commit);
    }

    /** huggingface_hub's repo_folder_name for a model: {@code models--org--name}. */
    public String folderName() {
        return "models--" + repoId.replace("/", "--");
    }

    @Override
    public String toString() {
        return repoId + "@" + revision;
    }
}
