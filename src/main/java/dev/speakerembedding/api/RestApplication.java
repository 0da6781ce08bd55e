package dev.speakerembedding.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;

@ApplicationPath("/v1")
@OpenAPIDefinition(info = @Info(title = "Speaker embedding service", version = "1",
        summary = "ECAPA-TDNN speaker embeddings and verification",
        description = "ECAPA-TDNN speaker embeddings (speechbrain/spkrec-ecapa-voxceleb by default) computed with "
                + "ONNX Runtime, equal to what speechbrain computes for the same audio file. Every error is "
                + "application/problem+json (RFC 9457) with a stable machine-readable `code`."))
public class RestApplication extends Application {
}
