#!/usr/bin/python3
"""Builds "probe" ONNX models with sherpa-onnx speaker-embedding metadata: instead of an embedding, their output is
the feature matrix sherpa-onnx fed to ONNX Runtime, so that running sherpa-onnx's extractor on them reveals its
exact front-end output.

Output layout (float32, padded with zeros / cut to the fixed length OUTPUT_DIM, because sherpa-onnx returns exactly
metadata output_dim floats):
  WeSpeaker / 3D-Speaker (input x [1, T, 80]):  [T, 80, x row-major ...]
  NeMo (inputs audio_signal [1, F, T], length [1]): [length, T, audio_signal row-major (F-major) ...]; NeMo's
  embedding is its second output, so the probe's is too (the first is a dummy "logits").

usage: /usr/bin/python3 build_probe_models.py OUT_DIR      (Debian python3-onnx 1.12, numpy)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
MAX_FRAMES = 800
OUTPUT_DIM = 80 * MAX_FRAMES + 2

# name -> (builder, metadata). The metadata is what the Java tests parse too (references.json repeats it).
MODELS = {
    "wespeaker_probe": ("general", dict(framework="wespeaker", language="English", sample_rate=16000,
                                        normalize_samples=0)),
    "3dspeaker_probe": ("general", dict(framework="3d-speaker", language="Chinese", sample_rate=16000,
                                        normalize_samples=1, feature_normalize_type="global-mean")),
    "nemo_probe": ("nemo", dict(framework="nemo", language="English", sample_rate=16000, feat_dim=80,
                                window_size_ms=25, window_stride_ms=10, window_type="hann",
                                feature_normalize_type="per_feature")),
    # variants: an 8 kHz WeSpeaker model (downsampling, 256-point FFT) and a NeMo model with 64 bins and no
    # window_type (sherpa-onnx's default: povey)
    "wespeaker8k_probe": ("general", dict(framework="wespeaker", language="English", sample_rate=8000,
                                          normalize_samples=0)),
    "nemo64povey_probe": ("nemo", dict(framework="nemo", language="English", sample_rate=16000, feat_dim=64,
                                       window_size_ms=25, window_stride_ms=10,
                                       feature_normalize_type="per_feature")),
}


def full_metadata(metadata):
    """Everything the model file carries, as strings (ONNX metadata values are strings)."""
    full = dict(metadata, output_dim=OUTPUT_DIM, url="none", comment="probe: outputs its input features")
    return {k: str(v) for k, v in full.items()}


def save(graph, metadata, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 7
    for k, v in full_metadata(metadata).items():
        p = model.metadata_props.add()
        p.key = k
        p.value = str(v)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def pad_to_output_dim(nodes, inits, src, dst):
    """[1, L] -> [1, OUTPUT_DIM]: zero-pad on the right, then cut."""
    inits += [numpy_helper.from_array(np.array([OUTPUT_DIM], dtype=np.int64), "k"),
              numpy_helper.from_array(np.array([0], dtype=np.int64), "zero_i"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "one_i"),
              numpy_helper.from_array(np.array([0, 0, 0], dtype=np.int64), "pads_head")]
    nodes += [
        helper.make_node("Shape", [src], ["shp"]),
        helper.make_node("Slice", ["shp", "one_i", "k"], ["len"]),
        helper.make_node("Sub", ["k", "len"], ["missing"]),
        helper.make_node("Max", ["missing", "zero_i"], ["padn"]),
        helper.make_node("Concat", ["pads_head", "padn"], ["pads"], axis=0),
        helper.make_node("Pad", [src, "pads"], ["padded"], mode="constant"),
        helper.make_node("Slice", ["padded", "zero_i", "k", "one_i"], [dst]),
    ]


def general_probe(name, metadata, out_dir):
    nodes, inits = [], []
    inits += [numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat_shape"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "idx1"),
              numpy_helper.from_array(np.array([3], dtype=np.int64), "idx3"),
              numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0")]
    nodes += [
        helper.make_node("Shape", ["x"], ["xs"]),
        helper.make_node("Slice", ["xs", "idx1", "idx3"], ["tf"]),  # [T, F]
        helper.make_node("Cast", ["tf"], ["tff"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["tff", "axis0"], ["header"]),
        helper.make_node("Reshape", ["x", "flat_shape"], ["flat"]),
        helper.make_node("Concat", ["header", "flat"], ["cat"], axis=1),
    ]
    pad_to_output_dim(nodes, inits, "cat", "embedding")
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", 80])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", OUTPUT_DIM])],
        inits)
    save(graph, metadata, os.path.join(out_dir, name + ".onnx"))


def nemo_probe(name, metadata, out_dir):
    feat_dim = metadata["feat_dim"]
    nodes, inits = [], []
    inits += [numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat_shape"),
              numpy_helper.from_array(np.array([2], dtype=np.int64), "idx2"),
              numpy_helper.from_array(np.array([3], dtype=np.int64), "idx3"),
              numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
              numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    nodes += [
        helper.make_node("Shape", ["audio_signal"], ["xs"]),
        helper.make_node("Slice", ["xs", "idx2", "idx3"], ["t"]),  # [T]
        helper.make_node("Concat", ["length", "t"], ["lt"], axis=0),  # [length, T]
        helper.make_node("Cast", ["lt"], ["ltf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ltf", "axis0"], ["header"]),
        helper.make_node("Reshape", ["audio_signal", "flat_shape"], ["flat"]),
        helper.make_node("Concat", ["header", "flat"], ["cat"], axis=1),
        helper.make_node("ReduceSum", ["cat", "axis1"], ["logits"], keepdims=1),
    ]
    pad_to_output_dim(nodes, inits, "cat", "embs")
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("audio_signal", TensorProto.FLOAT, ["N", feat_dim, "T"]),
         helper.make_tensor_value_info("length", TensorProto.INT64, ["N"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1]),
         helper.make_tensor_value_info("embs", TensorProto.FLOAT, ["N", OUTPUT_DIM])],
        inits)
    save(graph, metadata, os.path.join(out_dir, name + ".onnx"))


if __name__ == "__main__":
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, (kind, metadata) in MODELS.items():
        (general_probe if kind == "general" else nemo_probe)(name, metadata, out_dir)
        print("wrote", os.path.join(out_dir, name + ".onnx"))
