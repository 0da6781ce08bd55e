#!/usr/bin/env node
// Runs sherpa-onnx-node 1.13.8's native SpeakerEmbeddingExtractor on raw mono float32 samples, as its Python and Java
// examples do: the whole signal in one acceptWaveform call, then inputFinished(), then compute(). With a probe model
// (build_probe_models.py) the "embedding" is the feature matrix sherpa-onnx fed to ONNX Runtime.
//
// usage: node extract_features.js MODEL.onnx SAMPLES.f32 SAMPLE_RATE_HZ OUT.f32
//   SAMPLES.f32: little-endian float32 samples in [-1, 1]; OUT.f32: the output as little-endian float32.
// Prints {"version", "gitSha1", "dim", "isReady"} as JSON. Needs sherpa-onnx-node and sherpa-onnx-linux-x64
// (both 1.13.8) where require() finds them (npm ci here, or NODE_PATH).
const fs = require('fs');
const sherpa = require('sherpa-onnx-node');

const [model, samplesFile, rate, out] = process.argv.slice(2);
const buf = fs.readFileSync(samplesFile);
const samples = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
const extractor = new sherpa.SpeakerEmbeddingExtractor({model, numThreads: 1, debug: false, provider: 'cpu'});
const stream = extractor.createStream();
stream.acceptWaveform({samples, sampleRate: parseInt(rate, 10)});
stream.inputFinished();
// compute() when not ready logs an error and returns garbage instead of failing: check first.
const ready = extractor.isReady(stream);
if (ready) {
  const embedding = extractor.compute(stream);
  fs.writeFileSync(out, Buffer.from(embedding.buffer, embedding.byteOffset, embedding.length * 4));
}
console.log(JSON.stringify({version: sherpa.version, gitSha1: sherpa.gitSha1, dim: extractor.dim, isReady: ready}));
