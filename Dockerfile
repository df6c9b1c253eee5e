# numbers-sync daemon image, in two stages. The build stage installs every dependency (the
# TypeScript compiler is a dev dependency), compiles the daemon and the embedded server package
# to dist/ (`npm ci` runs the build as `prepare`), then drops the dev dependencies; the runtime
# stage gets the compiled JS and production dependencies only, and runs no TypeScript.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY src ./src
COPY workers ./workers
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
# node_modules holds the workspace package as a symlink into packages/ (copied as a link).
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/dist ./dist
COPY bin ./bin

# In a container the ops endpoint (/healthz /readyz /metrics) must listen beyond loopback to be
# scraped; the data dir only matters when COUCHDB_URL / REDIS_URL are not set.
ENV NUMBERS_SYNC_HTTP_HOST=0.0.0.0 \
    NUMBERS_SYNC_HTTP_PORT=9464 \
    NUMBERS_SYNC_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 9464

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.NUMBERS_SYNC_HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM (docker stop) is handled: /readyz turns 503, active rebuilds finish within
# NUMBERS_SYNC_SHUTDOWN_TIMEOUT_MS, then the process exits 0.
ENTRYPOINT ["node", "bin/numbers-sync.js"]
CMD ["run"]
