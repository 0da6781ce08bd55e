#!/usr/bin/env bash
# Measures what the Kubernetes probe timings and memory sizes in deploy/ are derived from (README "Deploying"):
# launch of the built Liberty server to /health/started UP and to /health/ready UP, with an empty model cache (the
# model downloaded from the Hub stand-in and converted) and with a warm one; the pre-download tool
# (scripts/download-embedding-model.sh, what the initContainer runs) on an empty and on a filled cache; and the
# server's resident memory, heap and native memory after a run of embedding requests.
#
#   mvn -o -DskipTests package liberty:create liberty:deploy dependency:build-classpath \
#       -Dmdep.outputFile="$PWD/target/benchmark-classpath.txt" -Dmdep.includeScope=test
#   deploy/measure-startup.sh [runs] [requests]      # defaults: 3 starts of each kind, 400 requests
#
# Needs the full-size checkpoint (BENCH_MODEL_DIR, default ../shared/conformance/speechbrain-ecapa/full), as
# scripts/benchmark.sh does. Prints one line per measurement and a summary; nothing is written outside a temp dir.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
requests="${2:-400}"
model="${BENCH_MODEL_DIR:-$root/../shared/conformance/speechbrain-ecapa/full}"
wlp="$root/target/liberty/wlp"
[[ -f "$model/embedding_model.ckpt" ]] || { echo "no checkpoint in $model" >&2; exit 2; }
[[ -f "$wlp/usr/servers/speakerEmbedding/dropins/speaker-embedding.war" && -f target/benchmark-classpath.txt ]] \
  || { echo "build first (see the top of this script)" >&2; exit 2; }
java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work="$(mktemp -d)"
standin_pid=""
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  [[ -n "$standin_pid" ]] && kill "$standin_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
export CLASSPATH="$root/target/test-classes:$root/target/classes:$(cat target/benchmark-classpath.txt)"

"$java_cmd" -Xmx1g dev.speakerembedding.testing.hubstandin.HubStandIn \
  --repo "speechbrain/spkrec-ecapa-voxceleb=$model" >"$work/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 600); do
  endpoint="$(sed -n 's/^HUB_STANDIN_ENDPOINT=//p' "$work/standin.log")"
  [[ -n "$endpoint" ]] && break
  sleep 0.1
done
[[ -n "$endpoint" ]] || { echo "the Hub stand-in did not start" >&2; cat "$work/standin.log" >&2; exit 1; }

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
     "java: $("$java_cmd" -version 2>&1 | head -1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# One server start; prints "<kind> started_ms ready_ms rss_mib".
start_server() {
  local kind="$1" cache="$2" out port
  out="$work/out-$kind-$RANDOM"
  port="$(free_port)"
  mkdir -p "$out"
  env -i PATH="$PATH" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} HOME="$out" WLP_OUTPUT_DIR="$out" \
    HTTP_PORT="$port" HTTPS_PORT="$(free_port)" HTTP_HOST=127.0.0.1 HF_ENDPOINT="$endpoint" \
    MODEL_CACHE_DIR="$cache" DATA_DIR="$out/data" JVM_ARGS="${MEASURE_JVM_ARGS:-}" \
    "$wlp/bin/server" run speakerEmbedding >"$out/console.log" 2>&1 &
  server_pid=$!
  local t0 started="" ready="" started_cpu=""
  t0="$(now_ms)"
  while [[ -z "$ready" ]]; do
    if ! kill -0 "$server_pid" 2>/dev/null; then echo "server exited" >&2; tail "$out/console.log" >&2; exit 1; fi
    if [[ -z "$started" ]] && curl -fsS -o /dev/null "http://127.0.0.1:$port/health/started" 2>/dev/null; then
      started=$(( $(now_ms) - t0 ))
      started_cpu="$(cpu_seconds "$server_pid")"
    fi
    if [[ -n "$started" ]] && curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null; then
      ready=$(( $(now_ms) - t0 ))
    fi
    (( $(now_ms) - t0 > 600000 )) && { echo "not ready in 600 s" >&2; exit 1; }
    sleep 0.1
  done
  SERVER_PORT="$port"
  local java_pid
  java_pid="$(pgrep -P "$server_pid" java || echo "$server_pid")"
  SERVER_JAVA_PID="$java_pid"
  echo "$kind started_ms=$started cpu_s_at_started=$started_cpu ready_ms=$ready rss_mib=$(( $(awk '/VmRSS/ {print $2}' "/proc/$java_pid/status") / 1024 ))"
}
# CPU seconds (user + system) the server's JVM has used: what a start costs whatever the machine's load.
cpu_seconds() {
  local java_pid
  java_pid="$(pgrep -P "$1" java || echo "$1")"
  awk -v tck="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / tck }' "/proc/$java_pid/stat"
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

for i in $(seq "$runs"); do
  cache="$work/cache-cold-$i"
  start_server cold "$cache"
  stop_server
  start_server warm "$cache"
  stop_server
done

for i in $(seq "$runs"); do
  t0="$(now_ms)"
  env -i PATH="$PATH" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} HOME="$work" HF_ENDPOINT="$endpoint" \
    MODEL_CACHE_DIR="$work/cli-cache" JAVA_OPTS=-Xmx768m \
    /usr/bin/time -f 'max_rss_kib=%M' -o "$work/cli-$i.time" scripts/download-embedding-model.sh >"$work/cli-$i.log" 2>&1
  echo "pre-download $([[ $i == 1 ]] && echo cold || echo warm) ms=$(( $(now_ms) - t0 )) $(cat "$work/cli-$i.time")"
done

# Memory after a run of requests: two clients posting a 3 s clip, as the benchmark's soak does on 2 cores.
MEASURE_JVM_ARGS="-XX:NativeMemoryTracking=summary" start_server memory "$work/cache-cold-1"
clip="$root/src/test/resources/conformance/inputs/noise_3s.wav"
clients=()
for _ in 1 2; do
  ( for _ in $(seq $(( requests / 2 ))); do
      curl -fsS -o /dev/null -H 'Content-Type: audio/wav' --data-binary @"$clip" "http://127.0.0.1:$SERVER_PORT/v1/embeddings"
    done ) &
  clients+=($!)
done
wait "${clients[@]}"
echo "after $requests requests: rss_mib=$(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVER_JAVA_PID/status") / 1024 ))"
jcmd "$SERVER_JAVA_PID" GC.heap_info | sed 's/^/  heap: /' | head -4
jcmd "$SERVER_JAVA_PID" VM.native_memory summary | grep -E 'Total:|Java Heap|Class \(|Thread \(|Code \(|GC \(|Internal|Other|Symbol|Metaspace' | sed 's/^/  nmt: /'
stop_server
