# Scriba worker image. Mirrors scripts/setup.sh: the same Debian package list (scripts/packages.txt, checked
# by test/unit/deploy/dockerfile.test.ts), Node 24, npm ci from the lock file. Runs unprivileged: no
# capabilities, no /dev/snd, no host mounts; Xvfb and PulseAudio run per session inside the container.
FROM node:24-bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/packages.txt /tmp/packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /tmp/packages.txt | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/packages.txt

WORKDIR /app
COPY package.json package-lock.json ./
# `npm install --no-save` is the fallback for npm's optional-platform lock quirk (see scripts/setup.sh);
# onnxruntime-node's CPU binaries are in its package, so its GPU download step is skipped (as in setup.sh),
# and its Windows and macOS builds (220 MB) are dropped.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN (npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-save --no-audit --no-fund) \
 && npm cache clean --force \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v6/win32 node_modules/onnxruntime-node/bin/napi-v6/darwin
COPY bin ./bin
COPY config ./config
COPY scripts ./scripts
COPY src ./src
COPY workers ./workers
# Synthetic meeting media, so `scriba demo` works inside the image too.
RUN bash scripts/make-fixtures.sh
# Node's compile cache, filled at build time: a fresh container's first command does not compile and
# type-strip its modules again (docs/operations.md, Install). Owned by the runtime user so it can add what it loads.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
RUN node scripts/warm-compile-cache.ts

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin scriba \
 && mkdir -p /recordings /data && chown scriba:scriba /recordings /data \
 && chown -R scriba:scriba /app/.compile-cache
USER 10001
# /data holds the embedded queue, the webhook outbox and the local store: everything that must outlive a
# restart of the process. /recordings holds recordings until their upload is verified.
ENV NODE_ENV=production \
    SCRIBA_RECORDINGS_DIR=/recordings \
    SCRIBA_WORK_DIR=/tmp/scriba \
    SCRIBA_QUEUE_SQLITE_PATH=/data/queue.sqlite \
    SCRIBA_WEBHOOK_OUTBOX_PATH=/data/webhooks.sqlite \
    SCRIBA_STORAGE_LOCAL_ROOT=/data/store
VOLUME ["/recordings", "/data"]
ENTRYPOINT ["node", "/app/src/cli/main.ts"]
CMD ["help"]
