package dev.speakerembedding.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.speakerembedding.profiles.ModelIdentity;
import org.junit.jupiter.api.Test;

class ProfileLifecycleTest {

    @Test
    void failureTextsLoseAnyPasswordTheUrlHeld() {
        String redacted = ProfileLifecycle.redacted("Unable to obtain connection from database "
                + "(jdbc:postgresql://db:5432/p?user=u&password=s3cret&ssl=true) for user 'u'");
        assertFalse(redacted.contains("s3cret"), redacted);
        assertEquals("x (jdbc:h2:file:/d;PASSWORD=***;X=1)", ProfileLifecycle.redacted("x (jdbc:h2:file:/d;PASSWORD=p;X=1)"));
        assertEquals("(no message)", ProfileLifecycle.redacted(null));
    }

    @Test
    void storedVectorsCarryTheRawFloat32OutputOfTheServedModel() {
        ModelIdentity id = ProfileLifecycle.identity("org/model", "0123456789abcdef0123456789abcdef01234567", 192);
        assertEquals("v1;family=speechbrain-ecapa;repo=org/model;commit=0123456789abcdef0123456789abcdef01234567"
                + ";dim=192;norm=raw;precision=fp32", id.key());
    }
}
