package dev.speakerembedding.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The numeric precision a converted checkpoint runs in ({@code MODEL_PRECISION}). Only {@link #FLOAT32} is the
 * graph that reproduces speechbrain; {@link #INT8} trades a little fidelity for speed on CPUs with int8 dot-product
 * instructions (VNNI, AMX).
 */
public enum ModelPrecision {
    /** speechbrain's own arithmetic: every product in float32. */
    FLOAT32("float32", "fp32"),
    /**
     * Weights of the convolutions and linear layers quantised to int8 per output channel (symmetric), activations
     * quantised to uint8 per tensor at run time, each product accumulated in int32.
     */
    INT8("int8", "int8");

    private final String configValue;
    private final String identityValue;

    ModelPrecision(String configValue, String identityValue) {
        this.configValue = configValue;
        this.identityValue = identityValue;
    }

    /** As {@code MODEL_PRECISION}, /v1/model and /v1/status name it. */
    public String configValue() {
        return configValue;
    }

    /**
     * As the profile model identity names it: {@code fp32} predates this setting and stays, so that the identities
     * of float32 models (and the profiles stored under them) are unchanged.
     */
    public String identityValue() {
        return identityValue;
    }

    /**
     * The precision named {@code value} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted values when there is none
     */
    public static ModelPrecision fromConfigValue(String value) {
        for (ModelPrecision p : values()) {
            if (p.configValue.equals(value.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a model precision; expected one of "
                + Arrays.stream(values()).map(ModelPrecision::configValue).collect(Collectors.joining(", ")));
    }
}
