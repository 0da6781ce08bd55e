package dev.speakerembedding.api;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.info.License;

@ApplicationPath("/v1")
@OpenAPIDefinition(info = @Info(title = "Speaker embedding service", version = "1",
        description = "ECAPA-TDNN speaker embeddings (speechbrain/spkrec-ecapa-voxceleb by default) computed with "
                + "ONNX Runtime, equal to what speechbrain computes for the same audio file.",
        license = @License(name = "Apache-2.0")))
public class RestApplication extends Application {
}
