# syntax=docker/dockerfile:1.7
#
# One image for the three services; the command picks which one runs:
#   docker run IMAGE                                        # gateway
#   docker run IMAGE node --import tsx services/transcoder/src/main.ts
#   docker run IMAGE node --import tsx services/notifier/src/main.ts
#
# These are the commands behind `npm run start:<name>`. The npm scripts are
# not used as the container command: npm runs them through `sh -c`, and the
# SIGTERM that npm forwards stops at that shell, so the service never drains
# and is killed when the grace period ends (docs/operations.md).
#
# The services run their TypeScript through tsx (no compile step), and tsx
# is a devDependency of the root. The runtime stage installs production
# dependencies only and then adds tsx and its own dependencies back, copied
# from the full install (deploy/docker/runtime-closure.mjs), so the image
# keeps working whichever package.json lists tsx. typescript, the test
# tools and the other devDependencies stay out of the image.
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

# Every dependency, dev included: the source of tsx for the runtime stage.
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY deploy/docker/runtime-closure.mjs deploy/docker/
RUN node deploy/docker/runtime-closure.mjs /runtime-tools tsx

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
COPY --from=build /runtime-tools/node_modules/ ./node_modules/
COPY . .
# Fails the build when a module a service imports was pruned away.
RUN mkdir -p "$INGEST_DATA_DIR" \
 && chown 1000:1000 "$INGEST_DATA_DIR" \
 && node --import tsx --input-type=module -e \
      "for (const s of ['gateway/src/gateway', 'transcoder/src/transcoder', \
        'notifier/src/notifier']) await import('./services/' + s + '.ts')"

# uid 1000 is the image's `node` user; numeric, so Kubernetes can verify
# runAsNonRoot.
USER 1000:1000
VOLUME ["/var/lib/ingest"]
EXPOSE 8080 9101 9102

# Checks the gateway's port; the compose file overrides the port for the
# workers (healthcheck.mjs 9101 / 9102). Kubernetes uses its own probes.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]

# node itself is PID 1 and gets SIGTERM, so the service drains (SPEC §6).
# An init (compose `init: true`, `docker run --init`) also reaps any
# orphaned grandchild.
CMD ["node", "--import", "tsx", "services/gateway/src/main.ts"]
