# syntax=docker/dockerfile:1
# vapiform as a container image: the static (musl) binary and nothing else (it carries its own
# TLS root certificates), run as an unprivileged user.
#
#   docker build -t vapiform \
#     --build-arg VAPIFORM_COMMIT="$(git rev-parse --short=12 HEAD)" \
#     --build-arg VAPIFORM_COMMIT_DATE="$(git log -1 --format=%cs)" .
#   docker run --rm -v "$PWD:/work" -e VAPI_API_KEY vapiform plan
#
# Alpine's Rust targets musl, whose binaries are statically linked.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
# The base image pins the Alpine release, whose packages only get security fixes: no apk pins.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
# What `vapiform --version` names (build.rs; the build context holds no git history).
ARG VAPIFORM_COMMIT=unknown
ARG VAPIFORM_COMMIT_DATE=unknown
ENV VAPIFORM_COMMIT=${VAPIFORM_COMMIT} VAPIFORM_COMMIT_DATE=${VAPIFORM_COMMIT_DATE}
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY schemas/vapi ./schemas/vapi
COPY benches ./benches
COPY tests ./tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin vapiform \
    && cp target/release/vapiform /vapiform \
    && /vapiform --version

FROM scratch
COPY --from=build /vapiform /usr/local/bin/vapiform
# No passwd file in scratch: a numeric, unprivileged user. Mount the repository at /work;
# `--user "$(id -u):$(id -g)"` when vapiform should write files there (apply --sandbox, export).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["vapiform"]
CMD ["--help"]
