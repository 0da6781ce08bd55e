package dev.speakerembedding.metrics;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Counts and times every request to the application, whatever answers it: a resource, a JAX-RS filter refusing
 * it before its body is read, an exception mapper, or the servlet layer's error page (sendError, dispatched after
 * this filter's chain returns with the status already set). A servlet filter rather than a JAX-RS one for that
 * reason; it also starts the request's clock for the Server-Timing header.
 */
@WebFilter(filterName = "RequestMetrics", urlPatterns = "/*")
public class RequestMetricsFilter extends HttpFilter {

    @Inject
    ServiceMetrics metrics;

    @Inject
    RequestTimings timings;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        long start = System.nanoTime();
        timings.start(start);
        try {
            chain.doFilter(request, response);
        } finally {
            String path = request.getRequestURI().substring(request.getContextPath().length());
            metrics.request(Operations.of(request.getMethod(), path, request.getContentType()), response.getStatus(),
                    System.nanoTime() - start);
        }
    }
}
