package dev.speakerembedding.api;

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
import jakarta.ws.rs.ext.Provider;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.Principal;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Private by default: who may call the speaker-profile endpoints ({@link ProfileAccess} decides).
 * <p>
 * With no JWT configuration they answer only requests from the loopback interface, so a local run works and nothing
 * biometric is open to the network; anything else is answered 403 {@code forbidden} before the body is read. The
 * address is the TCP peer's ({@code getRemoteAddr}), never a header a client could write; behind a proxy on the same
 * host every request looks local, which the README says.
 * <p>
 * With {@code mp.jwt.verify.*} configured, Liberty's mpJwt feature verifies the bearer token (signature, issuer,
 * expiry) before the application sees the request, and this filter only reads the outcome: the verified
 * {@link JsonWebToken} principal and its {@code groups}. The profile resources carry no security constraint on
 * purpose: for an unprotected resource Liberty authenticates a token it can verify and otherwise lets the request
 * through unauthenticated instead of answering its own plain 401, so every refusal here is the application's
 * problem+json (401 {@code unauthorized} with a Bearer challenge, 403 {@code forbidden}), and the embedding endpoints,
 * /health and /openapi stay open whatever Authorization header a client sends. Nothing here logs a token.
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

    /** Says at start which mode the profile endpoints are in (names and places only, never a key). */
    void logMode(@Observes @Initialized(ApplicationScoped.class) Object started) {
        if (!config.jwtConfigured()) {
            LOG.info("Speaker profile endpoints: no JWT configuration (mp.jwt.verify.*), so they answer only "
                    + "requests from loopback");
            return;
        }
        LOG.info("Speaker profile endpoints: a JWT is required (issuer " + config.jwtIssuer().orElse("(not set)")
                + ", key " + config.jwtKeySource() + "); roles " + ProfileRole.MANAGE.group() + ", "
                + ProfileRole.VERIFY.group());
        if (config.jwtIssuer().isEmpty()) {
            LOG.warning("mp.jwt.verify.issuer (MP_JWT_VERIFY_ISSUER) is not set: set it to the issuer of the tokens "
                    + "this service accepts");
        }
    }

    @Override
    public void filter(ContainerRequestContext request) {
        ProfileAccess.Decision decision = ProfileAccess.decide(config.jwtConfigured(),
                servletRequest.getRemoteAddr(), bearerSent(request.getHeaderString(HttpHeaders.AUTHORIZATION)),
                verifiedGroups(request.getSecurityContext().getUserPrincipal()), requiredRole());
        if (decision.allowed()) {
            return;
        }
        ProblemException problem = decision.problem().exception(decision.detail());
        request.abortWith(decision.challenge() == null ? ProblemMappers.toEarlyResponse(problem)
                : jakarta.ws.rs.core.Response.fromResponse(ProblemMappers.toEarlyResponse(problem))
                .header(HttpHeaders.WWW_AUTHENTICATE, decision.challenge()).build());
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

    private static Set<String> verifiedGroups(Principal principal) {
        if (principal instanceof JsonWebToken jwt) {
            Set<String> groups = jwt.getGroups();
            return groups == null ? Set.of() : groups;
        }
        return null;
    }

    static boolean bearerSent(String authorization) {
        return authorization != null && authorization.length() > 7
                && authorization.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ");
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
