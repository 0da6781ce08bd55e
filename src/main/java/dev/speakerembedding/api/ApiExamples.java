package dev.speakerembedding.api;

/** Example bodies for the OpenAPI document, one per answer a client may meet. */
final class ApiExamples {

    private ApiExamples() {
    }

    static final String EMBEDDING_SINGLE = """
            {"model":"speechbrain/spkrec-ecapa-voxceleb","commit":"0f99f2d0ebe89ac095bcc5903c4dd8f72b367286",\
            "dimension":192,"normalize":false,"unit_length":false,"data":[{"index":0,\
            "embedding":[12.31,-3.08,0.77],"duration_seconds":3.0,"sample_rate_hz":16000,"channels":1}]}""";

    static final String EMBEDDING_BATCH = """
            {"model":"speechbrain/spkrec-ecapa-voxceleb","commit":"0f99f2d0ebe89ac095bcc5903c4dd8f72b367286",\
            "dimension":192,"normalize":false,"unit_length":true,"data":[{"index":0,"name":"alice.wav",\
            "embedding":[0.061,-0.015,0.004],"duration_seconds":3.0,"sample_rate_hz":16000,"channels":1},\
            {"index":1,"name":"bob.wav","embedding":[0.058,-0.021,0.009],"duration_seconds":7.25,\
            "sample_rate_hz":44100,"channels":2}]}""";

    static final String VERIFICATION_AUDIO = """
            {"score":0.7312,"threshold":0.25,"same_speaker":true,"model":"speechbrain/spkrec-ecapa-voxceleb",\
            "commit":"0f99f2d0ebe89ac095bcc5903c4dd8f72b367286"}""";

    static final String EMBEDDING_PAIR = """
            {"a":[12.31,-3.08,0.77],"b":[11.9,-2.5,1.02]}""";

    static final String VERIFICATION_EMBEDDINGS = """
            {"score":0.1204,"threshold":0.25,"same_speaker":false}""";

    static final String MODEL_INFO = """
            {"model":"speechbrain/spkrec-ecapa-voxceleb","revision":"main",\
            "commit":"0f99f2d0ebe89ac095bcc5903c4dd8f72b367286","format":"speechbrain-ecapa",\
            "family":"speechbrain-ecapa","files":[{"name":"hyperparams.yaml","size_bytes":1920,\
            "sha256":"9e3e1e5d64f3f0b0a5d3c7a5b4b0e2c0f1a2b3c4d5e6f708192a3b4c5d6e7f80"},\
            {"name":"embedding_model.ckpt","size_bytes":83316686,\
            "sha256":"0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671ff1e3e4e8e1d5c4d"}],\
            "dimension":192,"sample_rate_hz":16000,"metadata":{"n_mels":"80","lin_neurons":"192"},\
            "front_end":{"channels":"each channel resampled, then averaged","resampler":"torchaudio sinc_interp_hann",\
            "sample_rate_hz":"16000","features":"speechbrain Fbank","fft_size":"400","hop_length":"160",\
            "mel_bins":"80","top_db":"80.0","feature_normalization":"sentence mean"},\
            "device":"cpu","onnxruntime_version":"1.29.0",\
            "loaded_at":"2025-01-31T12:00:00Z","load_seconds":4.2,"conversion":{\
            "onnx_file":"/app/models/.onnx/0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671ff1e3e4e8e1d5c4d-ecapa-c1/model.onnx",\
            "onnx_size_bytes":83251234,"checkpoint_sha256":"0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671ff1e3e4e8e1d5c4d",\
            "converter_version":1,"converted_at_load":false,"conversion_seconds":0.0},"limits":{\
            "max_request_bytes":33554432,"min_audio_seconds":0.1,"max_audio_seconds":120.0,"max_batch_size":16,\
            "verify_threshold":0.25}}""";

    static final String MODEL_INFO_SHERPA = """
            {"model":"csukuangfj/speaker-embedding-models","revision":"main",\
            "commit":"6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b","format":"sherpa-onnx","family":"wespeaker",\
            "files":[{"name":"wespeaker_en_voxceleb_resnet34.onnx","size_bytes":26530309,\
            "sha256":"7bb2f06e9df17cdf1bef14b1f7b4b2b1d0e8c6a4f2e0d8c6b4a29e8c6a4f2e0d"}],\
            "dimension":256,"sample_rate_hz":16000,"metadata":{"framework":"wespeaker","language":"English",\
            "normalize_samples":"0","output_dim":"256","sample_rate":"16000"},\
            "front_end":{"reference":"sherpa-onnx 1.13.8","channels":"averaged (sherpa-onnx keeps the first)",\
            "sample_scale":"32768.0","resampler":"Kaldi LinearResample, 6 zeros, tail not flushed",\
            "sample_rate_hz":"16000","features":"Kaldi fbank","frame_length_ms":"25.0","frame_shift_ms":"10.0",\
            "mel_bins":"80","window":"povey","remove_dc_offset":"true","preemphasis":"0.97","snip_edges":"false",\
            "low_frequency_hz":"20.0","high_frequency_hz":"-400.0","mel_scale":"kaldi","dither":"0",\
            "feature_normalization":"none"},"device":"cpu","onnxruntime_version":"1.29.0",\
            "loaded_at":"2025-01-31T12:00:00Z","load_seconds":1.3,"limits":{\
            "max_request_bytes":33554432,"min_audio_seconds":0.1,"max_audio_seconds":120.0,"max_batch_size":16,\
            "verify_threshold":0.25}}""";

    static final String MALFORMED_AUDIO = """
            {"type":"urn:speaker-embedding:problem:malformed-audio","title":"Malformed audio","status":400,\
            "detail":"fmt chunk declares 0 channels","code":"malformed_audio"}""";
    static final String INVALID_OPTION = """
            {"type":"urn:speaker-embedding:problem:invalid-option","title":"Invalid query option","status":400,\
            "detail":"query option normalize must be true or false, got 'maybe'","code":"invalid_option"}""";
    static final String INVALID_OPTION_THRESHOLD = """
            {"type":"urn:speaker-embedding:problem:invalid-option","title":"Invalid query option","status":400,\
            "detail":"query option threshold must be a number from -1 to 1, got 'high'","code":"invalid_option"}""";
    static final String INVALID_MULTIPART = """
            {"type":"urn:speaker-embedding:problem:invalid-multipart","title":"Invalid multipart body",\
            "status":400,"detail":"part 'b' is missing; send a and b as multipart/form-data parts",\
            "code":"invalid_multipart"}""";
    static final String INVALID_JSON = """
            {"type":"urn:speaker-embedding:problem:invalid-json","title":"Invalid JSON body","status":400,\
            "detail":"field 'b' must be an array of numbers","code":"invalid_json"}""";
    static final String UPLOAD_TOO_SLOW = """
            {"type":"urn:speaker-embedding:problem:upload-too-slow","title":"Upload too slow","status":408,\
            "detail":"the upload was cut off after 20.0 s with 20 bytes received; a body must arrive within \
            UPLOAD_TIMEOUT_MS (20000 ms) plus one second per UPLOAD_MIN_BYTES_PER_SECOND (65536) received",\
            "code":"upload_too_slow"}""";
    static final String REQUEST_TOO_LARGE = """
            {"type":"urn:speaker-embedding:problem:request-too-large","title":"Request too large","status":413,\
            "detail":"the request body is 40000000 bytes; the limit is 33554432 bytes (MAX_REQUEST_BYTES)",\
            "code":"request_too_large"}""";
    static final String BATCH_TOO_LARGE = """
            {"type":"urn:speaker-embedding:problem:batch-too-large","title":"Too many audio files","status":413,\
            "detail":"the request holds 20 audio files; the limit is 16 (MAX_BATCH_SIZE)",\
            "code":"batch_too_large"}""";
    static final String UNSUPPORTED_MEDIA_TYPE = """
            {"type":"urn:speaker-embedding:problem:unsupported-media-type","title":"Unsupported media type",\
            "status":415,\
            "detail":"this operation does not accept Content-Type 'text/plain' (the OpenAPI document at /openapi lists what each operation takes)",\
            "code":"unsupported_media_type"}""";
    static final String UNSUPPORTED_AUDIO_ENCODING = """
            {"type":"urn:speaker-embedding:problem:unsupported-audio-encoding",\
            "title":"Unsupported audio encoding","status":415,\
            "detail":"sample rate 4000000 Hz is outside the supported 1000..768000 Hz",\
            "code":"unsupported_audio_encoding"}""";
    static final String AUDIO_TOO_SHORT = """
            {"type":"urn:speaker-embedding:problem:audio-too-short","title":"Audio too short","status":422,\
            "detail":"audio is 0.010 s long; the minimum is 0.100 s (MIN_AUDIO_SECONDS)",\
            "code":"audio_too_short"}""";
    static final String AUDIO_TOO_LONG = """
            {"type":"urn:speaker-embedding:problem:audio-too-long","title":"Audio too long","status":422,\
            "detail":"audio is 150.00 s long; the limit is 120.00 s (MAX_AUDIO_SECONDS)",\
            "code":"audio_too_long"}""";
    static final String AUDIO_SILENT = """
            {"type":"urn:speaker-embedding:problem:audio-silent","title":"Digital silence","status":422,\
            "detail":"every sample is zero (digital silence): no speaker can be embedded","code":"audio_silent"}""";
    static final String INVALID_EMBEDDING = """
            {"type":"urn:speaker-embedding:problem:invalid-embedding","title":"Invalid embeddings","status":422,\
            "detail":"the embeddings have different lengths: a has 192 values, b has 32",\
            "code":"invalid_embedding"}""";
    static final String MODEL_NOT_READY = """
            {"type":"urn:speaker-embedding:problem:model-not-ready","title":"Model not ready","status":503,\
            "detail":"no model is loaded yet: the model is still loading (see /v1/status)",\
            "code":"model_not_ready"}""";
    static final String SATURATED = """
            {"type":"urn:speaker-embedding:problem:saturated","title":"Service saturated","status":503,\
            "detail":"all 10 places are taken (2 inference slots, 8 waiting places); retry after 1 s (MAX_CONCURRENT_INFERENCES, MAX_QUEUED_REQUESTS, QUEUE_TIMEOUT_MS)",\
            "code":"saturated"}""";
    static final String SATURATED_UPLOADS = """
            {"type":"urn:speaker-embedding:problem:saturated","title":"Service saturated","status":503,\
            "detail":"uploads in progress already hold the memory set aside for request bodies (MAX_BUFFERED_UPLOAD_BYTES); this one (65536 bytes) does not fit now; retry after 2 s",\
            "code":"saturated"}""";
}
