# syntax=docker/dockerfile:1
#
# Speaker embedding service on Open Liberty.
#   docker build -t speaker-embedding .                          # downloads the model into the image
#   docker build --build-arg DOWNLOAD_MODEL=false -t ... .        # model downloaded at first start instead
#   docker build --secret id=hf_token,env=HF_TOKEN -t ... .      # gated/private model repositories
# The image follows Open Liberty's conventions: kernel-slim base, server configuration in /config,
# features.sh to install the features server.xml names, configure.sh last.

# ---- build: the application, the command-line tools and (optionally) the model cache ----
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml server.xml ./
RUN mvn -B -q dependency:go-offline -DexcludeGroupIds=io.openliberty || true
COPY liberty liberty
COPY src src
COPY scripts scripts
# Only the war and the libraries are needed here: -DskipLibertyPackage skips installing and packaging the Liberty
# server that `mvn package` also builds (the image's Liberty is the base image's).
RUN mvn -B -q -DskipTests -DskipLibertyPackage package

# The pre-download tool for the runtime image (a Kubernetes initContainer runs it: README "Deploying"): the script,
# the compiled classes and their jars in the layout the script expects, without ONNX Runtime, which the runtime
# stage links from lib/global instead of carrying a second copy.
RUN mkdir -p target/predownload/scripts target/predownload/target/cli-lib && \
    cp scripts/download-embedding-model.sh target/predownload/scripts/ && \
    cp -r target/classes target/predownload/target/classes && \
    find target/cli-lib -name '*.jar' ! -name 'onnxruntime-*' -exec cp {} target/predownload/target/cli-lib/ \;

ARG DOWNLOAD_MODEL=true
ARG EMBEDDING_MODEL=speechbrain/spkrec-ecapa-voxceleb
ARG MODEL_REVISION=main
ARG HF_ENDPOINT=https://huggingface.co
# The same Java cache code as the service: downloads, verifies, converts to ONNX; exits non-zero unless complete.
RUN --mount=type=secret,id=hf_token,required=false \
    mkdir -p /app/models && \
    if [ "$DOWNLOAD_MODEL" = "true" ]; then \
      HF_TOKEN="$(cat /run/secrets/hf_token 2>/dev/null || true)" \
      MODEL_CACHE_DIR=/app/models EMBEDDING_MODEL="$EMBEDDING_MODEL" MODEL_REVISION="$MODEL_REVISION" \
      HF_ENDPOINT="$HF_ENDPOINT" scripts/download-embedding-model.sh ; \
    fi

# ---- runtime ----
# Open Liberty's images run Eclipse OpenJ9 (IBM Semeru), not the HotSpot JVM the README's figures were measured on:
# jvm.options holds only options both document, and the heap a first-start conversion used is given back by each
# JVM's own means (lifecycle/HeapRelease: a full collection on HotSpot; on OpenJ9, best effort, a lowered soft heap
# limit for one collection, and OpenJ9's idle tuning, on by default in containers, after 180 s idle).
FROM icr.io/appcafe/open-liberty:kernel-slim-java17-openj9-ubi

ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="speaker-embedding" \
      org.opencontainers.image.description="ECAPA-TDNN speaker embeddings on Open Liberty with ONNX Runtime" \
      org.opencontainers.image.version="$VERSION"

COPY --chown=1001:0 server.xml /config/
COPY --chown=1001:0 liberty/config/jvm.options liberty/config/server.env /config/
# Installs exactly the features server.xml lists (kernel-slim ships none).
RUN features.sh

# ONNX Runtime in the global library: one native copy per JVM (see pom.xml, copyDependencies).
COPY --chown=1001:0 --from=build /build/target/cli-lib/onnxruntime-*.jar /config/lib/global/
# The profile dataSource's JDBC drivers, H2 and PostgreSQL (server.xml's library reads /config/lib/jdbc).
COPY --chown=1001:0 --from=build /build/target/jdbc-lib/h2-*.jar /build/target/jdbc-lib/postgresql-*.jar /config/lib/jdbc/
COPY --chown=1001:0 --from=build /build/target/speaker-embedding.war /config/dropins/
COPY --chown=1001:0 --from=build /app/models /app/models
# The same Java pre-download as the build's, for an initContainer or Job with this image:
#   /opt/speaker-embedding/scripts/download-embedding-model.sh   (the environment as for the server)
COPY --chown=1001:0 --from=build /build/target/predownload /opt/speaker-embedding
RUN ln -s /config/lib/global/onnxruntime-*.jar /opt/speaker-embedding/target/cli-lib/

ENV MODEL_CACHE_DIR=/app/models \
    DATA_DIR=/app/data \
    HTTP_PORT=5001 \
    HF_HUB_OFFLINE=0
# The model cache outlives containers (docker-compose mounts the named volume embedding_models here).
VOLUME /app/models
# Speaker profiles in the embedded database (when PROFILE_DB_URL is not set): its own volume, never the model cache.
# (The base image runs as user 1001, which cannot create directories under /app.)
USER root
RUN mkdir -p /app/data && chown 1001:0 /app/data && chmod 770 /app/data
USER 1001
VOLUME /app/data
EXPOSE 5001

# Precompiles and caches classes for a faster start (Open Liberty's convention: last step).
RUN configure.sh
