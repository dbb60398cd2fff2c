# CretoAI images, built from source: a Rust builder stage and a slim runtime stage.
#
#   docker build -t cretoai:latest .                        (what docker-compose.yml does)
#   docker build --build-arg RUST_IMAGE=rust:1.85-bookworm \
#                --build-arg RUNTIME_IMAGE=debian:bookworm-slim -t cretoai:latest .
#
# The runtime image holds the two binaries on a trimmed Debian (scripts/prepare-runtime-rootfs.sh:
# no package manager; bash stays for the compose init step; health checks run `cretoai-node health`),
# runs as the non-root user `cretoai`
# (uid 10001) and keeps its data in /var/lib/cretoai/data (mount a volume there). Dockerfile.prebuilt makes the same runtime image
# from binaries built on the host, for machines without a registry.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p cretoai-node -p cretoai-authz-sidecar \
 && mkdir -p /out \
 && cp target/release/cretoai-node target/release/cretoai-authz-sidecar /out/ \
 && strip /out/*

FROM ${RUNTIME_IMAGE} AS runtime-root
COPY scripts/prepare-runtime-rootfs.sh /tmp/
RUN sh /tmp/prepare-runtime-rootfs.sh / && rm -f /tmp/prepare-runtime-rootfs.sh

# One flattened layer: the files removed above do not linger in a lower layer.
FROM scratch AS runtime
COPY --from=runtime-root / /
COPY --from=builder /out/cretoai-node /out/cretoai-authz-sidecar /usr/local/bin/
USER cretoai
WORKDIR /var/lib/cretoai
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    CRETOAI_DATA_DIR=/var/lib/cretoai/data \
    CRETOAI_LISTEN=0.0.0.0:8080
EXPOSE 8080 7070/udp
CMD ["cretoai-node"]
