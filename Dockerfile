# Production image: compiled JavaScript on Node 24, no dev dependencies. That leaves out the
# embedded PostgreSQL (a dev dependency for `npm start` and the tests) and every test-only
# package, so the image runs on an external PostgreSQL: set DATABASE_URL and SEALING_KEY.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# The prepare script (the console's and the account page's builds) runs below, once its sources
# are in; the patches to dependencies (patches/README.md) are applied here, as postinstall would.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package --error-on-fail
COPY tsconfig.json ./
COPY server ./server
COPY adapters ./adapters
COPY trpc ./trpc
COPY console ./console
COPY account ./account
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install script is needed at run time, and prepare would look for Vite, a dev dependency.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# oidc-provider as patched in the build stage, where patch-package (a dev dependency) is installed.
COPY --from=build /app/node_modules/oidc-provider ./node_modules/oidc-provider
COPY --from=build /app/dist ./dist
# The bundles sit where they were built, beside package.json, where server/package-root.ts finds them.
COPY --from=build /app/console/dist ./console/dist
COPY --from=build /app/account/dist ./account/dist
# The login page's passkey script, a file served as it is, also found from the package root.
COPY --from=build /app/server/interactions/assets ./server/interactions/assets
# The API explorer's script (/api/v2/docs): Scalar's bundle from @scalar/api-reference, a dev
# dependency, so only this file, at the path trpc/api-v2/explorer.ts reads from the package root.
COPY --from=build /app/node_modules/@scalar/api-reference/dist/browser/standalone.js ./node_modules/@scalar/api-reference/dist/browser/standalone.js
# A DATA_DIR the node user can write; with DATABASE_URL and SEALING_KEY nothing is kept in it today.
ENV DATA_DIR=/var/lib/tessera
RUN mkdir -p /var/lib/tessera && chown node:node /var/lib/tessera
USER node
EXPOSE 3000
# Liveness, not /readyz: a store outage makes /readyz answer 503, and a restart would not fix it.
# The image has no curl; node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The V8 flag as `npm start` gives it: see TESSERA_NODE_FLAGS in bench/compiled-servers.ts.
CMD ["node", "--max-semi-space-size=16", "--heap-growing-percent=100", "dist/server/index.js"]
