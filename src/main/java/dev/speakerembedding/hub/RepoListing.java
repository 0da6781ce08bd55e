package dev.speakerembedding.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A repository's files at one commit: as the Hub lists them ({@code GET /api/models/{repo_id}/revision/{revision}},
 * huggingface_hub's {@code model_info}: its {@code sha} and {@code siblings[].rfilename}), or as a cached snapshot
 * holds them. Names only; what they mean is for whoever asked.
 *
 * @param files repository-relative names with '/', sorted
 */
public record RepoListing(RepoRef ref, String commit, List<String> files) {

    private static final Logger LOG = Logger.getLogger(RepoListing.class.getName());
    private static final JsonFactory JSON = JsonFactory.builder()
            // A listing of many thousand files is a few MB; nothing in it nests deeper than a few levels.
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64)
                    .maxStringLength(1 << 20).build())
            .build();

    public RepoListing {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(commit, "commit");
        files = files.stream().sorted().toList();
    }

    /**
     * Reads the Hub API's model info. Names the Hub lists that this service would never fetch (absolute, with
     * {@code ..}, ...) are left out with a warning: they cannot be chosen.
     *
     * @param what the request, for messages
     * @throws HubUnavailableException when the body is not the Hub's model info (a proxy's page, say)
     * @throws UnsafeNameException when its commit is not 40 hex digits
     */
    static RepoListing fromModelInfo(RepoRef ref, InputStream json, String what) throws HubException {
        String commit = null;
        List<String> files = null;
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw notModelInfo(what, "not a JSON object", null);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("sha") && value == JsonToken.VALUE_STRING) {
                    commit = parser.getText();
                } else if (field.equals("siblings") && value == JsonToken.START_ARRAY) {
                    files = siblings(parser, what);
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw notModelInfo(what, "unreadable JSON: " + e.getMessage(), e);
        }
        if (commit == null || files == null) {
            throw notModelInfo(what, "no " + (commit == null ? "'sha'" : "'siblings'"), null);
        }
        try {
            Names.validateCommit(commit);
        } catch (UnsafeNameException e) {
            throw new UnsafeNameException("The Hub's answer for " + what + " was refused: " + e.getMessage());
        }
        return new RepoListing(ref, commit, files);
    }

    private static List<String> siblings(JsonParser parser, String what) throws IOException {
        List<String> files = new ArrayList<>();
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("rfilename") && value == JsonToken.VALUE_STRING) {
                    String name = parser.getText();
                    try {
                        Names.validateFilename(name);
                        files.add(name);
                    } catch (UnsafeNameException e) {
                        LOG.log(Level.WARNING, "{0} lists a file this service never fetches: {1}",
                                new Object[] {what, e.getMessage()});
                    }
                } else {
                    parser.skipChildren();
                }
            }
        }
        return files;
    }

    private static HubUnavailableException notModelInfo(String what, String problem, Throwable cause) {
        return new HubUnavailableException("The answer for " + what + " is not the Hub's model info (" + problem
                + "): check HF_ENDPOINT and any proxy or firewall in between", cause);
    }
}
