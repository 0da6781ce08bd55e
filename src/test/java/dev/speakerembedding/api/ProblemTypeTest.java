package dev.speakerembedding.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The problem codes are a contract: documented everywhere they are listed, and every example is a real problem. */
class ProblemTypeTest {

    @Test
    void typeUriAndCodeFollowFromTheName() {
        assertEquals("audio_too_short", ProblemType.AUDIO_TOO_SHORT.code());
        assertEquals("urn:speaker-embedding:problem:audio-too-short", ProblemType.AUDIO_TOO_SHORT.typeUri());
        Problem p = ProblemType.SATURATED.exception("busy", 3).problem();
        assertEquals(503, p.status());
        assertEquals("saturated", p.code());
        assertEquals("Service saturated", p.title());
    }

    @Test
    void theProblemSchemaListsEveryCode() {
        String description = Problem.class.getAnnotation(
                org.eclipse.microprofile.openapi.annotations.media.Schema.class).description();
        for (ProblemType type : ProblemType.values()) {
            assertTrue(description.contains(type.code()), "Problem schema description lacks " + type.code());
        }
    }

    @Test
    void theReadmeListsEveryCode() throws Exception {
        Path readme = Path.of(System.getProperty("project.root", ".")).resolve("README.md");
        String text = Files.readString(readme);
        for (ProblemType type : ProblemType.values()) {
            assertTrue(text.contains("`" + type.code() + "`"), "README.md does not document " + type.code());
        }
    }

    @Test
    void everyProblemExampleMatchesItsType() throws Exception {
        int checked = 0;
        for (Field field : ApiExamples.class.getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers()) || field.getType() != String.class) {
                continue;
            }
            field.setAccessible(true);
            JsonObject example;
            try (JsonReader r = Json.createReader(new StringReader((String) field.get(null)))) {
                example = r.readObject();
            }
            if (!example.containsKey("code")) {
                continue;
            }
            // Named after its type, with a suffix when a type has several examples (INVALID_OPTION_THRESHOLD).
            String code = example.getString("code");
            ProblemType type = Arrays.stream(ProblemType.values()).filter(t -> t.code().equals(code)).findFirst()
                    .orElseThrow(() -> new AssertionError(field.getName() + ": no problem type has code " + code));
            assertTrue(field.getName().equals(type.name()) || field.getName().startsWith(type.name() + "_"),
                    field.getName() + " holds an example of " + type.name());
            assertEquals(type.code(), example.getString("code"), field.getName());
            assertEquals(type.typeUri(), example.getString("type"), field.getName());
            assertEquals(type.title(), example.getString("title"), field.getName());
            assertEquals(type.status(), example.getInt("status"), field.getName());
            checked++;
        }
        assertTrue(checked >= 10, "examples checked: " + checked);
    }
}
