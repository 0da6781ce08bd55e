package dev.speakerembedding.profiles.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import dev.speakerembedding.profiles.ModelIdentity;

/** The reads that take vectors out of the store, for the in-memory index: all profiles of a model, or one. */
final class VectorQueries {

    /** Rows fetched per round trip while streaming the index load (about 1 MB at 192 dimensions). */
    static final int FETCH_SIZE = 1000;

    private VectorQueries() {
    }

    /** Every profile with enrollments of {@code model}, in id order; runs inside a transaction (auto-commit off). */
    static int forEachProfile(Connection connection, ModelIdentity model, Consumer<ProfileVectors> consumer)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT profile_id, id, embedding, "
                + "speech_seconds FROM enrollments WHERE model_identity = ? ORDER BY profile_id, created_at, id")) {
            // PostgreSQL streams with a cursor only with auto-commit off and a fetch size; otherwise it reads the
            // whole result (every vector of every profile) into memory before the first row.
            select.setFetchSize(FETCH_SIZE);
            select.setString(1, model.key());
            try (ResultSet rs = select.executeQuery()) {
                return streamGrouped(rs, model, consumer);
            }
        }
    }

    static Optional<ProfileVectors> ofProfile(Connection connection, ProfileId id, ModelIdentity model)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT profile_id, id, embedding, "
                + "speech_seconds FROM enrollments WHERE profile_id = ? AND model_identity = ? "
                + "ORDER BY created_at, id")) {
            select.setObject(1, id.value());
            select.setString(2, model.key());
            try (ResultSet rs = select.executeQuery()) {
                List<ProfileVectors> one = new ArrayList<>(1);
                streamGrouped(rs, model, one::add);
                return one.stream().findFirst();
            }
        }
    }

    /** Rows ordered by profile, handed on one profile at a time. */
    private static int streamGrouped(ResultSet rs, ModelIdentity model, Consumer<ProfileVectors> consumer)
            throws SQLException {
        int profiles = 0;
        ProfileId current = null;
        List<float[]> embeddings = new ArrayList<>();
        double speechSeconds = 0;
        while (rs.next()) {
            ProfileId profileId = new ProfileId(rs.getObject(1, UUID.class));
            if (!profileId.equals(current)) {
                if (current != null) {
                    consumer.accept(new ProfileVectors(current, embeddings, speechSeconds));
                    profiles++;
                }
                current = profileId;
                embeddings = new ArrayList<>();
                speechSeconds = 0;
            }
            EnrollmentId enrollmentId = new EnrollmentId(rs.getObject(2, UUID.class));
            embeddings.add(EmbeddingCodec.decode(rs.getBytes(3), model.dimension(), enrollmentId));
            speechSeconds += rs.getDouble(4);
        }
        if (current != null) {
            consumer.accept(new ProfileVectors(current, embeddings, speechSeconds));
            profiles++;
        }
        return profiles;
    }
}
