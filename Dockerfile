# One image for every crawlfleet service; the command picks the service:
#   node services/api/dist/server.js
#   node services/worker/dist/main.js --queue sqrt|fibonacci|crawl|webhook|render (render: the render target)
# and it carries the CLI: docker compose exec api npx crawlfleet queues

# --- the workspace manifests, shared by the two install stages ------------
FROM node:22-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/core/package.json packages/core/
COPY packages/tasks/package.json packages/tasks/
COPY packages/crawl/package.json packages/crawl/
# The internal test kit: its manifest only, for npm ci; it is neither built nor shipped.
COPY packages/testkit/package.json packages/testkit/
COPY services/api/package.json services/api/
COPY services/worker/package.json services/worker/
COPY services/cli/package.json services/cli/

# --- build: all dependencies, compile with tsc -b ---------------------------
FROM manifests AS build
RUN npm ci --ignore-scripts
COPY tsconfig.base.json ./
COPY packages packages
COPY services services
RUN npx tsc -b packages/core packages/tasks packages/crawl services/api services/worker services/cli

# --- production dependencies only ------------------------------------------
FROM manifests AS deps
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

# --- runtime ---------------------------------------------------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=build /app/packages/core/package.json packages/core/
COPY --from=build /app/packages/core/dist packages/core/dist
# Every Lua script (the frontier's too), read beside dist/ by packages/core/src/lua.ts.
COPY --from=build /app/packages/core/lua packages/core/lua
COPY --from=build /app/packages/tasks/package.json packages/tasks/
COPY --from=build /app/packages/tasks/dist packages/tasks/dist
COPY --from=build /app/packages/crawl/package.json packages/crawl/
COPY --from=build /app/packages/crawl/dist packages/crawl/dist
COPY --from=build /app/services/api/package.json services/api/
COPY --from=build /app/services/api/dist services/api/dist
COPY --from=build /app/services/worker/package.json services/worker/
COPY --from=build /app/services/worker/dist services/worker/dist
COPY services/worker/bin services/worker/bin
COPY --from=build /app/services/cli/package.json services/cli/
COPY --from=build /app/services/cli/bin services/cli/bin
COPY --from=build /app/services/cli/dist services/cli/dist
COPY scripts/healthcheck.mjs scripts/
USER node
EXPOSE 3000
# The API answers /healthz; a worker (WORKER_QUEUE set) checks that Redis answers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
CMD ["node", "services/api/dist/server.js"]

# --- render: the runtime with Debian's Chromium, for worker-render (docker compose builds it by target) ---
FROM runtime AS render
USER root
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-liberation \
  && rm -rf /var/lib/apt/lists/*
ENV CHROMIUM_PATH=/usr/bin/chromium
USER node

# --- the default target: the runtime, without a browser ------------------------------------------------
FROM runtime
