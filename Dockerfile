# syntax=docker/dockerfile:1
FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Dependency layer: build with an empty main so source edits do not rebuild every crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked && rm -rf src
COPY src ./src
COPY templates ./templates
COPY static ./static
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data stixhub \
    && mkdir -p /data && chown stixhub /data
COPY --from=build /src/target/release/stixhub /usr/local/bin/stixhub
USER stixhub
ENV STIXHUB_DATA=/data STIXHUB_BIND=0.0.0.0:4000
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["stixhub", "healthcheck", "--url", "http://127.0.0.1:4000"]
ENTRYPOINT ["stixhub"]
CMD ["serve"]
