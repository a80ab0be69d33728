# Production image: compiled JavaScript on Node 24, no dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY adapters ./adapters
COPY trpc ./trpc
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Without DATABASE_URL, the embedded PostgreSQL and the sealing key it generates (DATA_DIR/sealing-key)
# live here: keep the volume. With DATABASE_URL, SEALING_KEY must be set and nothing is kept here.
ENV DATA_DIR=/var/lib/tessera
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
VOLUME /var/lib/tessera
USER node
EXPOSE 3000
CMD ["node", "dist/server/index.js"]
