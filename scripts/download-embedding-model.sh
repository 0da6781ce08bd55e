#!/usr/bin/env bash
# Pre-downloads the embedding model into MODEL_CACHE_DIR with the service's own Java cache code (no Python):
# download, verify (sizes and sha256), convert to ONNX, open once in ONNX Runtime.
# Honours every setting the service reads: MODEL_CACHE_DIR (or HF_HUB_CACHE / HF_HOME), EMBEDDING_MODEL,
# MODEL_REVISION, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, DOWNLOAD_* timeouts and retries.
# Exits 0 only when the model is complete and verified in the cache.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
classes="$root/target/classes"
lib="$root/target/cli-lib"

if [[ ! -d "$classes/dev" || ! -d "$lib" ]]; then
  echo "Building the project once (mvn package -DskipTests)..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

java_cmd="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java_cmd" ${JAVA_OPTS:-} -cp "$classes:$lib/*" dev.speakerembedding.cli.DownloadModel "$@"
