# The Tamga API for docker-compose.yml: `tamga serve` against Neo4j (TAMGA_STORE=neo4j).
FROM python:3.12.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libgomp1: the OpenMP runtime that networkit's and lightgbm's wheels link against (not in -slim);
# libicu-dev, pkg-config and g++: pyicu (followthemoney's transliteration) is built from source
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 libicu-dev pkg-config g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY ingest ./ingest
COPY queries ./queries
COPY api ./api
# exact pins from pyproject.toml, plus the driver's Rust codec of the same version
RUN pip install ".[neo4j-fast]"

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tamga \
 && mkdir -p /data && chown tamga:tamga /data
USER tamga
ENV TAMGA_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000

CMD ["tamga", "serve", "--host", "0.0.0.0", "--port", "8000"]
