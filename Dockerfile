# syntax=docker/dockerfile:1
# Two stages: the first installs the exact, hashed versions of requirements.lock (`make lock`)
# and the app into a virtualenv; the second copies only that virtualenv and runs it as an
# unprivileged user. Nothing is resolved at build time: a changed or missing hash fails it.
ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/rpai
WORKDIR /src
COPY requirements.lock ./
RUN /opt/rpai/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY rpai ./rpai
COPY edge ./edge
COPY infra ./infra
COPY models ./models
COPY contract ./contract
COPY resolvers ./resolvers
COPY schema ./schema
COPY rest_compat ./rest_compat
# The build backend (setuptools) is in the lock too: no index is needed for the app itself.
RUN /opt/rpai/bin/pip install --no-deps --no-build-isolation --no-index .

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/rpai/bin:$PATH \
    RPAI_DATA_DIR=/data
RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin rpai \
    && mkdir -p /data \
    && chown rpai:rpai /data
COPY --from=build /opt/rpai /opt/rpai
# The embedded database's files and the generated JWT secret, when those are used.
VOLUME /data
WORKDIR /data
USER rpai
EXPOSE 8000
# Healthy once the database answers too (/readyz), not merely once the process is up (/healthz).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["rpai", "serve", "--host", "0.0.0.0", "--port", "8000"]
