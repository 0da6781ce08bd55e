#!/usr/bin/python3
"""Writes src/test/resources/conformance/sherpa/models/: small random-weight speaker-embedding ONNX models of each
sherpa-onnx family, with realistic sherpa-onnx metadata, and embeddings.json: what sherpa-onnx 1.13.8's native
extractor (npm sherpa-onnx-node + sherpa-onnx-linux-x64) returns for some conformance WAVs with them.
SherpaEmbeddingConformanceTest and SherpaModelIT compare the service's embeddings with these numbers.

The models are shaped like their families' (WeSpeaker/3D-Speaker: x [N, T, 80] -> embedding [N, D] as the first
output; NeMo: audio_signal [N, 80, T] and length [N] -> logits, embs [N, D], the embedding second) with a small
nonlinear body (per-frame projection, tanh, mean over time, projection); the weights are seeded, so a rerun writes the
same bytes. wespeaker_nometa.onnx has wespeaker_tiny's weights and no metadata at all (served with
MODEL_FAMILY=wespeaker, whose defaults are wespeaker_tiny's metadata).

The samples fed to sherpa-onnx are the ones the service's WAV decoder produces (channels averaged), whole, then
inputFinished(), then compute(), as make_references.py does.

usage (from the project directory):
  (cd src/test/sherpa && npm install --no-save)       # or NODE_PATH=<dir with those node_modules>
  /usr/bin/python3 src/test/sherpa/make_embedding_references.py    # Debian python3-onnx and python3-numpy
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
INPUTS = os.path.join(PROJECT, "src/test/resources/conformance/inputs")
OUT = os.path.join(PROJECT, "src/test/resources/conformance/sherpa/models")
sys.path.insert(0, HERE)
from make_references import decode_like_the_service  # noqa: E402

OPSET = 13
HIDDEN = 32
INPUT_STEMS = ["speech_espeak_en", "speech_44k1_s16_stereo", "speech_8k_s16_mono", "speech_22k05_f32_mono",
               "speech_0p25s_16k_s16", "chirp_1s"]

WESPEAKER_META = {"framework": "wespeaker", "output_dim": "256", "sample_rate": "16000", "normalize_samples": "0",
                  "language": "English", "url": "none", "comment": "random weights, shaped like a WeSpeaker export"}
THREED_META = {"framework": "3d-speaker", "output_dim": "192", "sample_rate": "16000", "normalize_samples": "1",
               "feature_normalize_type": "global-mean", "language": "Chinese", "url": "none",
               "comment": "random weights, shaped like a 3D-Speaker export"}
NEMO_META = {"framework": "nemo", "output_dim": "192", "feat_dim": "80", "sample_rate": "16000",
             "window_size_ms": "25", "window_stride_ms": "10", "window_type": "hann",
             "feature_normalize_type": "per_feature", "language": "English", "url": "none",
             "comment": "random weights, shaped like NeMo's TitaNet export"}


def save(graph, metadata, name):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="make_embedding_references.py")
    model.ir_version = 7
    for k, v in metadata.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name + ".onnx"))


def general(name, dim, metadata, seed):
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((80, HIDDEN)) * 0.1).astype(np.float32)
    w = (rng.standard_normal((HIDDEN, dim)) * 0.1).astype(np.float32)
    b = (rng.standard_normal((dim,)) * 0.01).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"]),
             helper.make_node("Tanh", ["h"], ["ht"]),
             helper.make_node("ReduceMean", ["ht"], ["m"], axes=[1], keepdims=0),
             helper.make_node("MatMul", ["m", "W"], ["mw"]),
             helper.make_node("Add", ["mw", "B"], ["embedding"])]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", 80])],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", dim])],
                              [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(w, "W"),
                               numpy_helper.from_array(b, "B")])
    save(graph, metadata, name)


def nemo(name, dim, metadata, seed, classes=10):
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((HIDDEN, 80)) * 0.1).astype(np.float32)
    w = (rng.standard_normal((HIDDEN, dim)) * 0.1).astype(np.float32)
    b = (rng.standard_normal((dim,)) * 0.01).astype(np.float32)
    wc = (rng.standard_normal((dim, classes)) * 0.1).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["W1", "audio_signal"], ["h"]),
             helper.make_node("Tanh", ["h"], ["ht"]),
             helper.make_node("ReduceMean", ["ht"], ["m"], axes=[2], keepdims=0),
             helper.make_node("MatMul", ["m", "W"], ["mw"]),
             # the length input is used (+ 0 * length) so that it is not pruned
             helper.make_node("Cast", ["length"], ["lenf"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["lenf", "ax1"], ["lenf2"]),
             helper.make_node("Mul", ["lenf2", "zero"], ["lenz"]),
             helper.make_node("Add", ["mw", "B"], ["mwb"]),
             helper.make_node("Add", ["mwb", "lenz"], ["embs"]),
             helper.make_node("MatMul", ["embs", "WC"], ["logits"])]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("audio_signal", TensorProto.FLOAT, ["N", 80, "T"]),
         helper.make_tensor_value_info("length", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes]),
         helper.make_tensor_value_info("embs", TensorProto.FLOAT, ["N", dim])],
        [numpy_helper.from_array(w1, "W1"), numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B"),
         numpy_helper.from_array(wc, "WC"), numpy_helper.from_array(np.array([1], dtype=np.int64), "ax1"),
         numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero")])
    save(graph, metadata, name)


MODELS = {"wespeaker_tiny": WESPEAKER_META, "3dspeaker_tiny": THREED_META, "nemo_tiny": NEMO_META}


def main():
    os.makedirs(OUT, exist_ok=True)
    general("wespeaker_tiny", 256, WESPEAKER_META, 11)
    general("wespeaker_nometa", 256, {}, 11)
    general("3dspeaker_tiny", 192, THREED_META, 12)
    nemo("nemo_tiny", 192, NEMO_META, 13)
    work = tempfile.mkdtemp(prefix="sherpa-embeddings-")
    cases, generator = [], None
    for stem in INPUT_STEMS:
        mono, rate = decode_like_the_service(os.path.join(INPUTS, stem + ".wav"))
        path = os.path.join(work, stem + ".f32")
        mono.astype("<f4").tofile(path)
        sha = hashlib.sha256(mono.astype("<f4").tobytes()).hexdigest()
        for model in MODELS:
            out = os.path.join(work, f"{stem}.{model}.f32")
            run = subprocess.run(["node", os.path.join(HERE, "extract_features.js"),
                                  os.path.join(OUT, model + ".onnx"), path, str(rate), out],
                                 check=True, capture_output=True, text=True)
            info = json.loads(run.stdout.strip().splitlines()[-1])
            assert info["isReady"], (stem, model, run.stderr)
            generator = {"sherpaOnnxNode": info["version"], "gitSha1": info["gitSha1"]}
            embedding = np.fromfile(out, dtype="<f4")
            assert embedding.shape[0] == int(MODELS[model]["output_dim"]) and np.all(np.isfinite(embedding))
            cases.append({"input": stem, "model": model, "inputSampleRateHz": rate, "samplesSha256": sha,
                          "embedding": [float(v) for v in embedding]})
            print(f"{stem} {model}: |e| = {np.linalg.norm(embedding):.4f}", flush=True)
    files = {}
    for f in sorted(os.listdir(OUT)):
        if f.endswith(".onnx"):
            files[f] = hashlib.sha256(open(os.path.join(OUT, f), "rb").read()).hexdigest()
    manifest = {"generator": dict(generator, script="src/test/sherpa/make_embedding_references.py",
                                  call="acceptWaveform(whole signal), inputFinished(), compute()"),
                "modelSha256": files, "cases": cases}
    with open(os.path.join(OUT, "embeddings.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
