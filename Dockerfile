# The web app and the peerdir tools. Meilisearch and PostgreSQL run as their own services
# (docker-compose.yml); this image never holds the Meilisearch binary.
# Browser assets pinned by package-lock.json (htmx; Leaflet, the US outlines and topojson-client
# for the search page's map), without the test-only packages.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DIRECTORY_HOME=/var/lib/peerdir
WORKDIR /app

COPY pyproject.toml README.md ./
COPY directory ./directory
COPY indexers ./indexers
COPY templates ./templates
COPY static ./static
COPY --from=assets /assets/node_modules/htmx.org/dist ./node_modules/htmx.org/dist
COPY --from=assets /assets/node_modules/leaflet/dist ./node_modules/leaflet/dist
COPY --from=assets /assets/node_modules/us-atlas ./node_modules/us-atlas
COPY --from=assets /assets/node_modules/topojson-client/dist ./node_modules/topojson-client/dist
COPY seed_data ./seed_data
# The Spanish pages' catalogs, compiled from their .po files as `make setup` does.
RUN pip install --no-cache-dir -e . && pybabel compile -d directory/locale -D messages \
    && useradd --system --home /var/lib/peerdir peerdir \
    && mkdir -p /var/lib/peerdir && chown peerdir /var/lib/peerdir

USER peerdir
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sh", "-c", "peerdir db upgrade && peerdir index --full seed_data/ && peerdir serve --host 0.0.0.0 --port 8000"]
