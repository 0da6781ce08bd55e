package dev.speakerembedding.hub;

import java.net.URI;
import java.util.Objects;

/**
 * What a HEAD on the Hub's resolve URL says about a file (huggingface_hub's HfFileMetadata).
 *
 * @param commit the commit the revision resolved to ({@code X-Repo-Commit})
 * @param etag the blob name: git blob sha1, or sha256 for LFS files ({@code X-Linked-Etag} else {@code ETag})
 * @param sizeBytes the file size ({@code X-Linked-Size} else {@code Content-Length})
 * @param location where to GET the bytes: the CDN URL the Hub redirected to, or the resolve URL
 */
public record FileMetadata(String commit, String etag, long sizeBytes, URI location) {
    public FileMetadata {
        Objects.requireNonNull(location, "location");
        try {
            Names.validateCommit(commit);
            Names.validateEtag(etag);
        } catch (UnsafeNameException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0, got " + sizeBytes);
        }
    }

    /** LFS files are named by their sha256; the others by their git blob sha1. */
    public boolean isLfs() {
        return Names.isSha256(etag);
    }

    @Override
    public String toString() {
        // A CDN location is a signed URL: its query is a short-lived credential, kept out of logs.
        return "FileMetadata[commit=" + commit + ", etag=" + etag + ", sizeBytes=" + sizeBytes + ", location="
                + HubClient.redact(location) + "]";
    }
}
