# syntax=docker/dockerfile:1
# vapiform as a container image: a static (musl) binary and CA certificates, nothing else,
# run as an unprivileged user.
#
#   docker build -t vapiform .
#   docker run --rm -v "$PWD:/work" -e VAPI_API_KEY vapiform plan
#
# Alpine's Rust targets musl, whose binaries are statically linked.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-alpine AS build
# The base image pins the Alpine release, whose packages only get security fixes: no apk pins.
# hadolint ignore=DL3018
RUN apk add --no-cache ca-certificates musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
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
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /vapiform /usr/local/bin/vapiform
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# No passwd file in scratch: a numeric, unprivileged user. Mount the repository at /work;
# `--user "$(id -u):$(id -g)"` when vapiform should write files there (apply --sandbox, export).
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["vapiform"]
CMD ["--help"]
