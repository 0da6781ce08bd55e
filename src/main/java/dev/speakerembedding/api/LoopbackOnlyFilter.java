package dev.speakerembedding.api;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.ext.Provider;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Private by default: with no authorization configured (JWT support is not in this version), the profile endpoints
 * answer only requests from the loopback interface, so a local run works and nothing biometric is open to the
 * network. Anything else is answered 403 {@code forbidden} before the body is read. The address is the TCP peer's
 * ({@code getRemoteAddr}), never a header a client could write; behind a proxy on the same host every request
 * looks local, which the README says.
 */
@Provider
@ProfileEndpoint
@Priority(Priorities.AUTHORIZATION)
@ApplicationScoped
public class LoopbackOnlyFilter implements ContainerRequestFilter {

    @Context
    HttpServletRequest servletRequest;

    @Override
    public void filter(ContainerRequestContext request) {
        if (!isLoopback(servletRequest.getRemoteAddr())) {
            request.abortWith(ProblemMappers.toEarlyResponse(ProblemType.FORBIDDEN.exception("the speaker profile "
                    + "endpoints answer only requests from this host (loopback) while no authorization is "
                    + "configured; see README, Speaker profiles")));
        }
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
