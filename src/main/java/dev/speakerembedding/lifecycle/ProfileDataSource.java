package dev.speakerembedding.lifecycle;

import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import javax.sql.DataSource;

/**
 * The profile database as Liberty configures it (server.xml, {@value #JNDI_NAME}). A bean of its own so that a
 * server without that dataSource (the Arquillian test server, a hand-written server.xml) fails only where the
 * profile lifecycle asks for it, which it reports and retries, instead of failing the application's start.
 */
@ApplicationScoped
public class ProfileDataSource {

    public static final String JNDI_NAME = "jdbc/profiles";

    @Resource(lookup = JNDI_NAME)
    DataSource dataSource;

    public DataSource get() {
        return dataSource;
    }
}
