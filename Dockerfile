FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RPAI_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY rpai ./rpai
COPY edge ./edge
COPY infra ./infra
COPY models ./models
COPY resolvers ./resolvers
COPY schema ./schema
COPY rest_compat ./rest_compat
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 rpai \
    && mkdir -p /data && chown rpai /data

USER rpai
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["rpai", "serve", "--host", "0.0.0.0", "--port", "8000"]
