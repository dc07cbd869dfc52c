# beamgram as a container image. The build stage runs `just dist`; the final stage is exactly the
# folder it makes (the one `tests/cli.rs` runs from an empty directory), on an empty base: a
# static binary needs no distribution beneath it.
#
#   docker build -t beamgram .
#   docker run -e API_ID=… -e API_HASH=… -e BOT_TOKEN=… -e BIN_CHANNEL=… -p 8080:8080 -v beamgram:/data beamgram
#
# No Docker engine runs where beamgram is developed: this file is checked by tests (its stages,
# user, volume, health check and that the final stage copies dist/ and nothing else), not built
# there. See README "Deploy".

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends musl-tools binutils \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-wasip2 x86_64-unknown-linux-musl \
    && cargo install just --locked
WORKDIR /src
COPY . .
RUN just dist \
    # The data folder, owned by the user the bot runs as (the final stage has no shell to make it).
    && mkdir -p /rootfs/data /rootfs/tmp \
    && chown 10001:10001 /rootfs/data \
    && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build /src/dist/ /opt/beamgram/
# Sessions, the SQLite database (when DATABASE_URL is unset) and the plugin cache live here.
ENV BEAMGRAM_STORAGE__DATA_DIR=/data \
    HOME=/data \
    PORT=8080
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["/opt/beamgram/beamgram", "healthcheck"]
ENTRYPOINT ["/opt/beamgram/beamgram"]
CMD ["run"]
