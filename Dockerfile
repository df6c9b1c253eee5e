# numbers-sync daemon image. The TypeScript sources run through tsx, which is a runtime
# dependency (package.json "dependencies"), so a production install (--omit=dev) is enough
# and there is no build step.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY workers ./workers

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
