package dev.speakerembedding.api;

import dev.speakerembedding.metrics.ServerTiming;
import jakarta.ws.rs.NameBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Marks an operation whose answers carry the Server-Timing header ({@link ServerTimingFilter}). */
@NameBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface ServerTimed {

    String HEADER = ServerTiming.HEADER;
    String DESCRIPTION = "W3C Server Timing: the time of each stage of this request in milliseconds, e.g. "
            + "`upload;dur=0.8, queue;dur=0.0, decode;dur=0.3, resample;dur=1.1, features;dur=2.0, "
            + "inference;dur=30.5, total;dur=36.1` (only the stages this request went through; a batch's files "
            + "summed; total from its arrival in the application to the answer)";
}
