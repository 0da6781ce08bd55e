#!/usr/bin/python3
"""Writes src/test/resources/conformance/sherpa/: the exact features sherpa-onnx 1.13.8's native speaker-embedding
extractor feeds to ONNX Runtime, for the conformance WAVs, per model family (SherpaFrontEndConformanceTest compares
the Java front end with them; nothing here runs at test time).

How: build_probe_models.py builds "probe" models whose output is their input features; extract_features.js runs the
real extractor (npm sherpa-onnx-node + sherpa-onnx-linux-x64 1.13.8) on them. The samples fed to sherpa-onnx are the
ones the service's WAV decoder produces (channels averaged, not sherpa-onnx's first channel only); their sha256 is
recorded and the Java test checks that its decoder yields the same bytes.

To keep the resources small, per case only some frames are stored in full (the first and last EDGE frames and every
STRIDE-th frame), plus every frame's mean over its bins, and the frame count.

usage (from the project directory):
  (cd src/test/sherpa && npm install --no-save)       # or NODE_PATH=<dir with those node_modules>
  /usr/bin/python3 src/test/sherpa/make_references.py    # Debian python3-onnx and python3-numpy
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
INPUTS = os.path.join(PROJECT, "src/test/resources/conformance/inputs")
OUT = os.path.join(PROJECT, "src/test/resources/conformance/sherpa")
sys.path.insert(0, HERE)
import build_probe_models  # noqa: E402

EDGE = 8
STRIDE = 20
MAIN_MODELS = ["wespeaker_probe", "3dspeaker_probe", "nemo_probe"]
MAIN_INPUTS = ["speech_espeak_en", "speech_8k_s16_mono", "speech_44k1_s16_stereo", "speech_22k05_f32_mono",
               "silence_1s_16k_s16", "speech_0p25s_16k_s16", "chirp_1s"]
CASES = [(i, m) for i in MAIN_INPUTS for m in MAIN_MODELS] + [
    ("speech_44k1_s16_stereo", "wespeaker8k_probe"), ("speech_0p25s_16k_s16", "wespeaker8k_probe"),
    ("speech_0p25s_16k_s16", "nemo64povey_probe"), ("speech_8k_s16_mono", "nemo64povey_probe")]


def decode_like_the_service(path):
    """16-bit PCM or 32-bit float WAV (plain or EXTENSIBLE) -> float32 mono: int16 / 32768, channels summed in
    order in float32 and divided by the channel count (WavDecoder + ChannelAverage)."""
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", path
    p, fmt, data = 12, None, None
    while p + 8 <= len(b):
        cid, size = b[p:p + 4], struct.unpack("<I", b[p + 4:p + 8])[0]
        body = b[p + 8:p + 8 + size]
        if cid == b"fmt ":
            tag, channels, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, align, bits)
        elif cid == b"data":
            data = body
            break
        p += 8 + size + (size & 1)
    tag, channels, rate, align, bits = fmt
    n = len(data) // align
    if tag == 1 and bits == 16:
        x = np.frombuffer(data[:n * align], dtype="<i2").reshape(n, channels).astype(np.float32) / np.float32(32768)
    elif tag == 3 and bits == 32:
        # the service decodes like torchaudio's sox backend: float -> int32 (x 2^31, truncated, saturated) ->
        # rounded half-up to a multiple of 128 -> / 2^31, clipped at +1
        f = np.frombuffer(data[:n * align], dtype="<f4").reshape(n, channels).astype(np.float64)
        f = np.nan_to_num(f, nan=0.0)
        s = np.clip(np.trunc(f * 2147483648.0), -2147483648, 2147483647).astype(np.int64)
        s = np.where(s > 2147483647 - 64, 2147483648, (s + 64) & ~127)
        x = (s.astype(np.float64) / 2147483648.0).astype(np.float32)
    else:
        raise ValueError(f"{path}: format {tag}/{bits} bit is not handled here")
    mono = x[:, 0].copy()
    for c in range(1, channels):
        mono = (mono + x[:, c]).astype(np.float32)
    if channels > 1:
        mono = (mono / np.float32(channels)).astype(np.float32)
    return mono, rate


def parse_probe(output, metadata):
    if metadata["framework"] == "nemo":
        length, frames, bins = int(output[0]), int(output[1]), int(metadata["feat_dim"])
        features = output[2:2 + bins * frames].reshape(bins, frames).T
        return length, frames, np.ascontiguousarray(features)
    frames, bins = int(output[0]), int(output[1])
    return frames, frames, output[2:2 + frames * bins].reshape(frames, bins).copy()


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):  # README.md stays
        if f.endswith(".npy") or f == "references.json":
            os.remove(os.path.join(OUT, f))
    work = tempfile.mkdtemp(prefix="sherpa-refs-")
    for name, (kind, metadata) in build_probe_models.MODELS.items():
        (build_probe_models.general_probe if kind == "general" else build_probe_models.nemo_probe)(
            name, metadata, work)
    samples = {}
    for stem in sorted({i for i, _ in CASES}):
        mono, rate = decode_like_the_service(os.path.join(INPUTS, stem + ".wav"))
        path = os.path.join(work, stem + ".f32")
        mono.astype("<f4").tofile(path)
        samples[stem] = (path, rate, len(mono), hashlib.sha256(mono.astype("<f4").tobytes()).hexdigest())
    cases, generator = [], None
    for stem, model in CASES:
        path, rate, count, sha = samples[stem]
        metadata = build_probe_models.MODELS[model][1]
        out = os.path.join(work, f"{stem}.{model}.out.f32")
        run = subprocess.run(["node", os.path.join(HERE, "extract_features.js"), os.path.join(work, model + ".onnx"),
                              path, str(rate), out], check=True, capture_output=True, text=True)
        info = json.loads(run.stdout.strip().splitlines()[-1])
        assert info["isReady"], (stem, model, run.stderr)
        generator = {"sherpaOnnxNode": info["version"], "gitSha1": info["gitSha1"]}
        length, frames, features = parse_probe(np.fromfile(out, dtype="<f4"), metadata)
        assert frames <= build_probe_models.MAX_FRAMES and length == frames, (stem, model, length, frames)
        rows = sorted(set(range(min(EDGE, frames))) | set(range(max(0, frames - EDGE), frames))
                      | set(range(0, frames, STRIDE)))
        base = f"{stem}.{model.replace('_probe', '')}"
        np.save(os.path.join(OUT, base + ".rows.npy"), features[rows].astype("<f4"))
        np.save(os.path.join(OUT, base + ".frame_means.npy"),
                features.astype(np.float64).mean(axis=1).astype("<f4"))
        cases.append({"input": stem, "model": model.replace("_probe", ""), "inputSampleRateHz": rate,
                      "inputSampleCount": count, "samplesSha256": sha, "frames": frames, "nemoLengthInput": length,
                      "rowIndices": rows, "rows": base + ".rows.npy", "frameMeans": base + ".frame_means.npy"})
        print(f"{stem} {model}: {frames} frames x {features.shape[1]}", flush=True)
    models = {name.replace("_probe", ""): build_probe_models.full_metadata(metadata)
              for name, (_, metadata) in build_probe_models.MODELS.items()}
    manifest = {"generator": dict(generator, script="src/test/sherpa/make_references.py",
                                  call="acceptWaveform(whole signal), inputFinished(), compute()"),
                "storedRows": f"first and last {EDGE} frames and every {STRIDE}th; frameMeans: every frame's mean"
                              " over its bins (float64 mean stored as float32)",
                "models": models, "cases": cases}
    with open(os.path.join(OUT, "references.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
