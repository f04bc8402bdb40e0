# syntax=docker/dockerfile:1.7
#
# One image for the three services; the command picks which one runs:
#   docker run IMAGE                                        # gateway
#   docker run IMAGE node --enable-source-maps --max-semi-space-size=1 dist/transcoder.mjs
#   docker run IMAGE node --enable-source-maps --max-semi-space-size=1 dist/notifier.mjs
#
# These are the commands behind `npm run start:<name>`. The npm scripts are
# not used as the container command: each first rebuilds dist/ (its
# prestart), which a read-only root filesystem refuses, and keeps an npm
# process in front of the service (docs/operations.md, "Health, metrics
# and shutdown").
#
# The services run as one JavaScript bundle each (dist/<name>.mjs, made by
# packages/build/src/build-services.ts with esbuild in the build stage: our packages
# compiled in, every other package imported from node_modules). The
# runtime stage installs production dependencies only; typescript, the
# test tools and the other devDependencies stay out of the image.
#
# ffmpeg and ffprobe are the static builds that @ffmpeg-installer/ffmpeg and
# @ffprobe-installer/ffprobe put in node_modules; no apt package is needed.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Package manifests only, so the npm ci layers below are rebuilt when a
# manifest or the lockfile changes, not on every source edit.
FROM base AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json .npmrc /manifests/ \
 && find packages services -mindepth 2 -maxdepth 2 -name package.json \
      -exec cp --parents {} /manifests/ \;

# Every dependency, dev included, to bundle the services.
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

# Production dependencies only (workspace links included).
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev \
 && chmod 0755 node_modules/@ffmpeg-installer/*/ffmpeg \
               node_modules/@ffprobe-installer/*/ffprobe

FROM base AS runtime
ENV NODE_ENV=production \
    INGEST_DATA_DIR=/var/lib/ingest \
    HOST=0.0.0.0 \
    PORT=8080 \
    TRANSCODER_PORT=9101 \
    NOTIFIER_PORT=9102

# Files stay owned by root and read-only to the service user; the only
# writable place is the data dir (work files, outbox, local storage).
COPY --from=prod-deps /app/ ./
COPY . .
COPY --from=build /app/dist/ ./dist/
# Fails the build when a package a bundle imports was pruned away.
RUN mkdir -p "$INGEST_DATA_DIR" \
 && chown 1000:1000 "$INGEST_DATA_DIR" \
 && node deploy/docker/check-externals.mjs

# uid 1000 is the image's `node` user; numeric, so Kubernetes can verify
# runAsNonRoot.
USER 1000:1000
VOLUME ["/var/lib/ingest"]
EXPOSE 8080 9101 9102

# Asks /healthz on the port of the service the container runs (the
# dist/<name>.mjs in process 1's command line picks PORT, TRANSCODER_PORT
# or NOTIFIER_PORT; HEALTH_PORT overrides). Kubernetes uses its own probes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]

# node itself is PID 1 and gets SIGTERM, so the service drains (SPEC §6).
# An init (compose `init: true`, `docker run --init`) also reaps any
# orphaned grandchild.
CMD ["node", "--enable-source-maps", "--max-semi-space-size=1", "dist/gateway.mjs"]
