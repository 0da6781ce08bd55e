package dev.speakerembedding.lifecycle;

import dev.speakerembedding.hub.CachedSnapshot;
import dev.speakerembedding.hub.HubException;
import dev.speakerembedding.hub.ModelFetcher;
import dev.speakerembedding.hub.RepoFiles;
import dev.speakerembedding.hub.RepoListing;
import dev.speakerembedding.hub.RepoNotFoundException;
import dev.speakerembedding.hub.RepoRef;
import dev.speakerembedding.model.ModelFamily;
import dev.speakerembedding.model.ModelFormatException;
import dev.speakerembedding.model.catalog.ModelFamilies;
import dev.speakerembedding.model.speechbrain.SpeechbrainFamily;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Which family serves the repository, and its files brought into the cache. MODEL_FILE names the model outright.
 * Without it the repository's file list decides (ModelFamilies.choose), read only when needed, so that a speechbrain
 * repository starts exactly as before:
 *
 * <ol>
 *   <li>the snapshot cached for the revision, if any, is listed (no request): speechbrain's files complete there, or
 *       an ONNX model it alone identifies, are served from it with no network request, as every cached model is;
 *   <li>without MODEL_FAMILY, speechbrain's files are fetched as always (offline, their absence is the usual offline
 *       miss);
 *   <li>when the Hub answers that one of them does not exist (or MODEL_FAMILY says the model is an ONNX file), the
 *       Hub lists the repository (one GET) and the list decides: one .onnx file is found by itself, several need
 *       MODEL_FILE, anything else is named in the error.
 * </ol>
 *
 * <p>A choice that fails (several .onnx files, nothing supported) is a {@link ModelFormatException}: the service
 * reports it at load, and a restart with the same settings would fail the same way.
 */
public final class ModelSelection {

    private static final Logger LOG = Logger.getLogger(ModelSelection.class.getName());

    /** The family chosen, the files the hub fetched and verified for it, and the verified snapshot. */
    public record Selected(ModelFamily family, RepoFiles files, CachedSnapshot snapshot) {
    }

    private final RepoRef ref;
    private final Optional<String> modelFamily;
    private final boolean offline;
    /** Set when MODEL_FILE names the model: nothing to find out. */
    private final ModelFamily configured;

    /**
     * @throws IllegalArgumentException when MODEL_FILE or MODEL_FAMILY is invalid
     */
    public ModelSelection(RepoRef ref, Optional<String> modelFile, Optional<String> modelFamily, boolean offline) {
        this.ref = ref;
        this.modelFamily = modelFamily;
        this.offline = offline;
        modelFamily.ifPresent(ModelFamilies::family);
        this.configured = modelFile.isPresent() ? ModelFamilies.choose(modelFile, modelFamily, Optional.empty()) : null;
    }

    /** The files the probes look for until the model is found: the configured family's, else speechbrain's. */
    public RepoFiles initialFiles() {
        return Components.repoFiles((configured != null ? configured : SpeechbrainFamily.INSTANCE).format());
    }

    /** Chooses the family and brings its files into the cache, verified. */
    public Selected acquire(ModelFetcher fetcher) throws HubException, ModelFormatException {
        if (configured != null) {
            return ensure(fetcher, configured);
        }
        RepoFiles speechbrain = Components.repoFiles(SpeechbrainFamily.INSTANCE.format());
        Optional<RepoListing> cached = fetcher.cachedListing(ref);
        List<String> cachedFiles = cached.map(RepoListing::files).orElse(List.of());
        if (modelFamily.isEmpty() && cachedFiles.containsAll(speechbrain.required())) {
            return ensure(fetcher, SpeechbrainFamily.INSTANCE);
        }
        if (!ModelFamilies.onnxFiles(cachedFiles).isEmpty()) {
            try {
                return ensure(fetcher, choose(cachedFiles));
            } catch (IllegalArgumentException e) {
                if (offline) {
                    throw new ModelFormatException("the cached snapshot " + cached.get().commit() + " of " + ref
                            + ": " + e.getMessage());
                }
                LOG.log(Level.INFO, "The cached snapshot of {0} does not decide the model ({1}); asking the Hub",
                        new Object[] {ref, e.getMessage()});
            }
        }
        if (modelFamily.isEmpty()) {
            try {
                return ensure(fetcher, SpeechbrainFamily.INSTANCE);
            } catch (RepoNotFoundException e) {
                if (e.missing() != RepoNotFoundException.Missing.FILE) {
                    throw e;
                }
                LOG.log(Level.INFO, "{0} is not a speechbrain repository ({1}); listing its files",
                        new Object[] {ref, e.getMessage()});
            }
        }
        RepoListing listing = fetcher.listFiles(ref, offline);
        ModelFamily family;
        try {
            family = choose(listing.files());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(ref + " at commit " + listing.commit() + ": " + e.getMessage());
        }
        LOG.log(Level.INFO, "{0} at commit {1}: serving {2} (from the repository''s {3} files)",
                new Object[] {ref, listing.commit(), Components.repoFiles(family.format()).required(),
                        listing.files().size()});
        return ensure(fetcher, family);
    }

    private ModelFamily choose(List<String> files) {
        return ModelFamilies.choose(Optional.empty(), modelFamily, Optional.of(files));
    }

    private Selected ensure(ModelFetcher fetcher, ModelFamily family) throws HubException {
        RepoFiles files = Components.repoFiles(family.format());
        return new Selected(family, files, fetcher.ensure(ref, files, offline));
    }
}
