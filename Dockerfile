# Radtrack, production image: `docker compose --profile single up` or `--profile scale up` (docker-compose.yml) or
#   docker build -t radtrack . && docker run -p 3000:3000 -e DATABASE_URL=... -e AUTH_SECRET=... radtrack
# The models and the reference corpus are not in the image: mount the shared folder at /shared (RADTRACK_SHARED_DIR).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_update_notifier=false \
    PORT=3000 \
    HOST=0.0.0.0 \
    RADTRACK_DATA_DIR=/data \
    RADTRACK_SHARED_DIR=/shared

WORKDIR /app
RUN mkdir -p /data /shared && chown node:node /app /data
USER node

# Dependencies first, so that a change to the sources does not reinstall them. The postinstall step
# (prisma generate) needs the schema and its script. Dev dependencies stay: `npm start` runs TypeScript through tsx.
COPY --chown=node:node package.json package-lock.json .npmrc prisma.config.ts ./
COPY --chown=node:node prisma ./prisma
COPY --chown=node:node scripts/prisma-generate.ts ./scripts/
RUN npm ci --include=dev --no-audit --no-fund && npm cache clean --force

COPY --chown=node:node . .
# Build now, and stamp the build as `npm start` does, so that the container starts without building.
RUN node_modules/.bin/next build \
    && node_modules/.bin/tsx -e 'import("./lib/runtime/build-stamp.ts").then((m) => m.recordBuild(process.cwd()))'

VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/login').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["npm", "start"]
