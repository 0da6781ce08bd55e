package dev.speakerembedding.api;

import dev.speakerembedding.auth.InvalidKeyConfigurationException;
import dev.speakerembedding.auth.JwtSettings;
import dev.speakerembedding.auth.TokenRejectedException;
import dev.speakerembedding.auth.TokenVerifier;
import dev.speakerembedding.config.ServiceConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Private by default: who may call the speaker-profile endpoints ({@link ProfileAccess} decides).
 * <p>
 * With no JWT configuration they answer only requests from the loopback interface, so a local run works and nothing
 * biometric is open to the network; anything else is answered 403 {@code forbidden} before the body is read. The
 * address is the TCP peer's ({@code getRemoteAddr}), never a header a client could write; behind a proxy on the same
 * host every request looks local, which the README says.
 * <p>
 * With MicroProfile JWT's {@code mp.jwt.verify.*} settings, the bearer token is verified here ({@link TokenVerifier})
 * and its {@code groups} must hold the operation's {@link ProfileRole}, from every address. Not by Liberty's mpJwt
 * feature: it verifies tokens before the application sees the request, answers its own plain 401 for protected
 * resources, and on a badly signed token writes an FFDC incident whose text holds the whole token (seen with
 * 26.0.0.3), in messages.log and in logs/ffdc. Verifying here keeps every refusal problem+json and every token out
 * of every log; the settings keep their standard names, so a deployment configured for mpJwt works unchanged.
 */
@Provider
@ProfileEndpoint
@Priority(Priorities.AUTHORIZATION)
@ApplicationScoped
public class ProfileAuthorizationFilter implements ContainerRequestFilter {

    private static final Logger LOG = Logger.getLogger(ProfileAuthorizationFilter.class.getName());

    @Context
    HttpServletRequest servletRequest;

    @Context
    ResourceInfo resource;

    @Inject
    ServiceConfig config;

    private volatile Verification verification;

    /** The settings read once; the verifier, or why none could be built (then every token is refused). */
    private record Verification(boolean required, TokenVerifier verifier, String unusable) {
    }

    /** Builds the verifier at start and says which mode the profile endpoints are in (never a key or token). */
    void start(@Observes @Initialized(ApplicationScoped.class) Object started) {
        verification();
    }

    private Verification verification() {
        Verification v = verification;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (verification == null) {
                verification = build(config.jwtSettings());
            }
            return verification;
        }
    }

    private static Verification build(JwtSettings settings) {
        if (!settings.configured()) {
            LOG.info("Speaker profile endpoints: no JWT configuration (mp.jwt.verify.*), so they answer only "
                    + "requests from loopback");
            return new Verification(false, null, null);
        }
        try {
            TokenVerifier verifier = new TokenVerifier(settings);
            LOG.info("Speaker profile endpoints: a JWT is required (issuer " + settings.issuer().orElse("")
                    + ", key " + settings.keySource() + ", algorithm " + settings.algorithm() + "); roles "
                    + ProfileRole.MANAGE.group() + ", " + ProfileRole.VERIFY.group());
            return new Verification(true, verifier, null);
        } catch (InvalidKeyConfigurationException | IllegalArgumentException e) {
            LOG.severe("Speaker profile endpoints: JWT authorization is configured but cannot verify any token, so "
                    + "every request to them is refused: " + e.getMessage());
            return new Verification(true, null, e.getMessage());
        }
    }

    @Override
    public void filter(ContainerRequestContext request) {
        Verification v = verification();
        String token = bearerToken(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        Set<String> groups = null;
        String rejection = null;
        if (v.required() && token != null) {
            if (v.verifier() == null) {
                rejection = "the server's JWT configuration is unusable (its log says why)";
            } else {
                try {
                    groups = v.verifier().verify(token).groups();
                } catch (TokenRejectedException e) {
                    rejection = e.getMessage();
                }
            }
        }
        ProfileAccess.Decision decision = ProfileAccess.decide(v.required(), servletRequest.getRemoteAddr(),
                token != null, groups, requiredRole(), rejection);
        if (decision.allowed()) {
            return;
        }
        Response refusal = ProblemMappers.toEarlyResponse(decision.problem().exception(decision.detail()));
        request.abortWith(decision.challenge() == null ? refusal
                : Response.fromResponse(refusal).header(HttpHeaders.WWW_AUTHENTICATE, decision.challenge()).build());
    }

    private ProfileRole requiredRole() {
        ProfileRole.Required onMethod = resource.getResourceMethod() == null ? null
                : resource.getResourceMethod().getAnnotation(ProfileRole.Required.class);
        if (onMethod != null) {
            return onMethod.value();
        }
        ProfileRole.Required onClass = resource.getResourceClass() == null ? null
                : resource.getResourceClass().getAnnotation(ProfileRole.Required.class);
        // An operation nobody marked needs the stronger role: a forgotten annotation refuses, never opens.
        return onClass == null ? ProfileRole.MANAGE : onClass.value();
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    static String bearerToken(String authorization) {
        if (authorization == null || authorization.length() <= 7
                || !authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /** True only for an IP literal of a loopback address (127.0.0.0/8, ::1); never resolves a name. */
    static boolean isLoopback(String address) {
        if (address == null || address.isEmpty() || !address.matches("[0-9a-fA-F:.%\\[\\]]+")) {
            return false;
        }
        try {
            String literal = address.startsWith("[") && address.endsWith("]")
                    ? address.substring(1, address.length() - 1) : address;
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
