package dev.speakerembedding.profiles.store;

import java.util.ArrayList;
import java.util.List;

import org.h2.jdbcx.JdbcConnectionPool;

/**
 * A child JVM for {@link H2CrashTest}: enrolls batches into new profiles until it is killed, printing each
 * profile's id once its batch is committed.
 */
public final class H2WriterMain {

    static final int BATCH = 5;

    private H2WriterMain() {
    }

    public static void main(String[] args) {
        JdbcConnectionPool pool = JdbcConnectionPool.create(args[0], "sa", "");
        ProfileSchema.migrate(pool);
        JdbcProfileStore store = new JdbcProfileStore(pool);
        for (long n = 0; ; n++) {
            ProfileId id = store.createProfile(NewProfile.EMPTY).id();
            List<NewEnrollment> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(StoreFixtures.enrollment(n * BATCH + i));
            }
            store.addEnrollments(id, batch);
            System.out.println("enrolled " + id);
            System.out.flush();
        }
    }
}
