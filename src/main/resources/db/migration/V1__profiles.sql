-- Speaker profiles: one dialect for PostgreSQL 15 and H2 2.x (H2 reads every type and clause used here as
-- PostgreSQL does). No audio is stored: only vectors and the numbers measured on the audio.

CREATE TABLE profiles (
    id           UUID                     NOT NULL,
    -- The caller's id for the person: unique when present (both databases let any number of rows hold NULL).
    external_id  VARCHAR(256),
    -- A small JSON object as text; the application bounds it to 4096 bytes of UTF-8, which is at most 4096
    -- characters. Text, not jsonb: the service never queries inside it, and H2 has no jsonb.
    metadata     VARCHAR(4096),
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT profiles_pk PRIMARY KEY (id),
    CONSTRAINT profiles_external_id_unique UNIQUE (external_id)
);

-- Keyset paging: pages are ordered by (created_at, id).
CREATE INDEX profiles_by_creation ON profiles (created_at, id);

CREATE TABLE enrollments (
    id                UUID                     NOT NULL,
    profile_id        UUID                     NOT NULL,
    -- ModelIdentity.key(): what made the embedding; only enrollments of the serving model's key are scored.
    model_identity    VARCHAR(512)             NOT NULL,
    dimension         INTEGER                  NOT NULL,
    -- The unit-length embedding as little-endian float32, 4 bytes per dimension.
    embedding         BYTEA                    NOT NULL,
    duration_seconds  DOUBLE PRECISION         NOT NULL,
    speech_seconds    DOUBLE PRECISION         NOT NULL,
    created_at        TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT enrollments_pk PRIMARY KEY (id),
    -- Deleting a profile deletes its enrollments, vectors included, in the same statement.
    CONSTRAINT enrollments_profile_fk FOREIGN KEY (profile_id) REFERENCES profiles (id) ON DELETE CASCADE,
    CONSTRAINT enrollments_dimension_range CHECK (dimension BETWEEN 1 AND 65536),
    CONSTRAINT enrollments_embedding_size CHECK (OCTET_LENGTH(embedding) = 4 * dimension),
    CONSTRAINT enrollments_durations CHECK (duration_seconds >= 0 AND speech_seconds >= 0
                                            AND speech_seconds <= duration_seconds)
);

-- A profile's enrollments (listing, the cascade on delete) and one model's enrollments by profile (the index load).
CREATE INDEX enrollments_by_profile ON enrollments (profile_id, created_at);
CREATE INDEX enrollments_by_model ON enrollments (model_identity, profile_id, created_at);

-- The change log replicas poll: seq is 1, 2, 3, ... in commit order without gaps, because every writing
-- transaction takes it from profile_change_clock's single row as its last statement and holds that row's lock
-- until it commits. An identity column would not do: its values are taken in start order but become visible in
-- commit order, so a poller could pass seq 8 before seq 7 commits and never see 7.
CREATE TABLE profile_changes (
    seq         BIGINT                   NOT NULL,
    -- No foreign key: the change that deletes a profile outlives it. Only the id is kept, never a vector.
    profile_id  UUID                     NOT NULL,
    kind        VARCHAR(32)              NOT NULL,
    changed_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT profile_changes_pk PRIMARY KEY (seq),
    CONSTRAINT profile_changes_kind CHECK (kind IN ('CREATED', 'ENROLLED', 'ENROLLMENT_DELETED', 'RESET', 'DELETED'))
);

CREATE INDEX profile_changes_by_time ON profile_changes (changed_at);

CREATE TABLE profile_change_clock (
    id                  INTEGER NOT NULL,
    -- The seq of the last change written.
    last_seq            BIGINT  NOT NULL,
    -- Changes up to this seq were pruned: a replica that asks for changes after an older seq must reload.
    pruned_through_seq  BIGINT  NOT NULL,
    CONSTRAINT profile_change_clock_pk PRIMARY KEY (id),
    CONSTRAINT profile_change_clock_single_row CHECK (id = 1)
);

INSERT INTO profile_change_clock (id, last_seq, pruned_through_seq) VALUES (1, 0, 0);
