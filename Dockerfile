# syntax=docker/dockerfile:1
# DTU in a container: `dtu serve`, and `dtu eval` for sweeps (deploy/kubernetes/).
#
#   docker build -t dtu .                      # the dtu binary on Debian slim (target "runtime")
#   docker build --target sdks -t dtu:sdks .   # plus the examples' Python and Node SDKs
#
# Both run as the unprivileged user dtu (uid 10001). `dtu serve` in a container needs
# --bind 0.0.0.0 to be reached from outside it (the admin token is then always required).

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---- build: the release binary -------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin dtu \
    && install -m 0755 target/release/dtu /usr/local/bin/dtu

# ---- runtime: the binary, the example scenarios and agents ---------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# bash and curl run shell agents (benches/sweep/agent.sh); ca-certificates let agents
# reach a model's API over https. Versions follow the Debian release's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends bash ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 dtu \
    && useradd --system --uid 10001 --gid dtu --home-dir /home/dtu --create-home --shell /usr/sbin/nologin dtu
COPY --from=build /usr/local/bin/dtu /usr/local/bin/dtu
COPY scenarios /opt/dtu/scenarios
COPY examples /opt/dtu/examples
COPY fixtures /opt/dtu/fixtures
COPY benches/sweep /opt/dtu/benches/sweep
WORKDIR /opt/dtu
USER 10001:10001
ENTRYPOINT ["dtu"]
CMD ["--help"]

# ---- sdks (optional): Python 3.11 and Node 20 with the pinned SDKs the examples use ---
FROM node:20-${DEBIAN_RELEASE}-slim AS sdks
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends bash ca-certificates curl python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 dtu \
    && useradd --system --uid 10001 --gid dtu --home-dir /home/dtu --create-home --shell /usr/sbin/nologin dtu
WORKDIR /opt/dtu
# The same pins as the SDK test suites. examples/agents/_venv.py finds /opt/dtu/.venv,
# and Node resolves /opt/dtu/node_modules from /opt/dtu/examples/node.
COPY tests/sdk/python/requirements.lock /opt/dtu/requirements.lock
RUN python3 -m venv /opt/dtu/.venv \
    && /opt/dtu/.venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /opt/dtu/requirements.lock
COPY tests/sdk/node/package.json tests/sdk/node/package-lock.json /opt/dtu/
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=runtime /opt/dtu /opt/dtu
COPY --from=build /usr/local/bin/dtu /usr/local/bin/dtu
ENV PATH=/opt/dtu/.venv/bin:$PATH
USER 10001:10001
ENTRYPOINT ["dtu"]
CMD ["--help"]
