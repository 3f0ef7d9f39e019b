# The molotov image: runs a load test straight from a git repository with moloslave.
#
#   docker build -t molotov .
#   docker run -i --rm -e TEST_REPO=https://github.com/you/loadtests -e TEST_NAME=smoke molotov
#
# Stage 1 builds the wheel (the Rust engine and the Python package) with maturin; stage 2 is a
# slim Python with git (to clone) and that wheel, nothing else. The wheel is built for one
# Python version, the build stage's python3: Debian bookworm's 3.11. So the final image must
# be a Python 3.11; PYTHON_VERSION changes only together with the build stage's Debian release.

ARG RUST_VERSION=1.95
ARG PYTHON_VERSION=3.11

FROM rust:${RUST_VERSION}-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/maturin \
    && /opt/maturin/bin/pip install --no-cache-dir "maturin>=1.9,<2"
WORKDIR /src
COPY . .
# `--compatibility linux`: the wheel only has to suit the image below, not manylinux.
RUN /opt/maturin/bin/maturin build --release --locked --compatibility linux \
        --interpreter python3 --out /wheels

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir /tmp/wheels/*.whl && rm -rf /tmp/wheels
COPY docker/entrypoint.sh /usr/local/bin/molotov-entrypoint
RUN chmod 755 /usr/local/bin/molotov-entrypoint \
    && useradd --create-home molotov
USER molotov
WORKDIR /home/molotov
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["/usr/local/bin/molotov-entrypoint"]
