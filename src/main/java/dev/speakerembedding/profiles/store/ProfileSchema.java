package dev.speakerembedding.profiles.store;

import java.util.Objects;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the profile schema up to date with Flyway, from the versioned migrations in
 * {@code src/main/resources/db/migration} (never DDL in Java). Run once at start, before the store is used; on
 * several replicas at once Flyway's lock on its history table lets one migrate and the others wait and find it
 * done.
 *
 * <p>The history table is {@value #HISTORY_TABLE}, not Flyway's default name, so the schema can share a database
 * with other applications' Flyway histories. Migrations go into the connection's current schema (PostgreSQL's
 * {@code currentSchema} / {@code search_path}, H2's {@code SCHEMA} setting).
 *
 * <p>Flyway's message is kept in a failure: it names the migration and statement that failed, which operators
 * need, and today's migrations are DDL only. A later migration that rewrites stored rows must make sure no row can
 * reach an error message (PostgreSQL's "Failing row contains (...)" on a CHECK it adds).
 */
public final class ProfileSchema {

    public static final String MIGRATIONS = "classpath:db/migration";
    public static final String HISTORY_TABLE = "profiles_schema_history";

    /**
     * @param appliedMigrations how many migrations this run applied (0 when the schema was up to date)
     * @param schemaVersion     the schema's version afterwards
     */
    public record Migration(int appliedMigrations, String schemaVersion) {
    }

    private ProfileSchema() {
    }

    /**
     * @throws ProfileStoreUnavailableException when the database cannot be reached
     * @throws ProfileStoreFailureException     when a migration fails or the schema's history does not match the
     *                                          migrations shipped (an edited or missing migration)
     */
    public static Migration migrate(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        try {
            MigrateResult result = Flyway.configure(ProfileSchema.class.getClassLoader())
                    .dataSource(dataSource)
                    .locations(MIGRATIONS)
                    .table(HISTORY_TABLE)
                    .failOnMissingLocations(true)
                    .load()
                    .migrate();
            String version = result.targetSchemaVersion != null ? result.targetSchemaVersion
                    : result.initialSchemaVersion;
            return new Migration(result.migrationsExecuted, version);
        } catch (FlywayException e) {
            if (SqlErrors.isUnavailable(e)) {
                throw new ProfileStoreUnavailableException("could not migrate the profile schema: the profile "
                        + "database is unavailable", e);
            }
            throw new ProfileStoreFailureException("could not migrate the profile schema: " + e.getMessage());
        }
    }
}
