#!/usr/bin/env bash
# Runs the whole performance suite on this machine and prints the table of figures (README "Benchmarks").
#
#   scripts/benchmark.sh             # full run, about 15 minutes on 2 cores
#   scripts/benchmark.sh --quick     # fewer repetitions and shorter phases (a smoke test of the suite, ~6 min)
#   scripts/benchmark.sh --sweep     # also sweep ONNX Runtime session options in process
#
# Builds what it needs (war, Liberty server, test classes), then runs dev.speakerembedding.bench.BenchmarkSuite,
# which starts the Hub stand-in, the in-process benchmarks, real Liberty servers and the load generator as
# separate processes. Results: target/benchmark/results.md (the table), results.properties (every figure),
# latency-vs-concurrency.png, run/ (logs of every process).
#
# Environment: BENCH_MODEL_DIR (default ../shared/conformance/speechbrain-ecapa/full: the full-size speechbrain
# checkpoint, served through the stand-in, never copied into the repository), BENCH_OUT (default
# target/benchmark), BENCH_SKIP_BUILD=1 (reuse the last build), BENCH_MAVEN_ARGS (e.g. -o). Service settings
# ONNX_INTRA_OP_THREADS, MAX_CONCURRENT_INFERENCES, MAX_QUEUED_REQUESTS, QUEUE_TIMEOUT_MS are passed on to the
# benchmarked server, to measure a tuning before changing a default.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${BENCH_OUT:-$root/target/benchmark}"
model="${BENCH_MODEL_DIR:-$root/../shared/conformance/speechbrain-ecapa/full}"
if [[ ! -f "$model/embedding_model.ckpt" ]]; then
  echo "No full-size checkpoint in $model (set BENCH_MODEL_DIR to a speechbrain ECAPA directory)" >&2
  exit 2
fi
model="$(cd "$model" && pwd)"
mkdir -p "$out"

load="$(cut -d' ' -f1 /proc/loadavg)"
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
if awk -v l="$load" 'BEGIN { exit !(l > 1.5) }'; then
  echo "WARNING: the machine is busy (1-minute load $load); the ratios are measured in the same run, but expect noise." >&2
fi

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  echo "Building (war, Liberty server, test classes)..."
  # shellcheck disable=SC2086
  mvn -B -q ${BENCH_MAVEN_ARGS:-} -DskipTests package liberty:create liberty:deploy \
    dependency:build-classpath -Dmdep.outputFile="$root/target/benchmark-classpath.txt" -Dmdep.includeScope=test
fi
if [[ ! -f "$root/target/benchmark-classpath.txt" || ! -f target/liberty/wlp/usr/servers/speakerEmbedding/dropins/speaker-embedding.war ]]; then
  echo "Nothing built yet: run without BENCH_SKIP_BUILD" >&2
  exit 2
fi

# A private copy of the compiled classes: other builds in this checkout may rewrite target/ while the suite runs.
rm -rf "$out/cp" && mkdir -p "$out/cp"
cp -r target/classes "$out/cp/classes"
cp -r target/test-classes "$out/cp/test-classes"

java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# The classpath goes in CLASSPATH, not on the command line: ONNX Runtime 1.29 crashes when creating its
# environment in a process whose command line is longer than about 4 KB.
export CLASSPATH="$out/cp/test-classes:$out/cp/classes:$(cat "$root/target/benchmark-classpath.txt")"
exec "$java_cmd" -Djava.awt.headless=true dev.speakerembedding.bench.BenchmarkSuite \
  --out "$out" \
  --wlp "$root/target/liberty/wlp" \
  --server-template "$root/target/liberty/wlp/usr/servers/speakerEmbedding" \
  --model "$model" \
  --conformance "$root/src/test/resources/conformance" \
  "$@"
