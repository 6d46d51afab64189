# syntax=docker/dockerfile:1
# One image for every app; compose picks the entry point with `command`.
# The build runs `npm run build:image`: tsc -b over tsconfig.build.json, which references libs,
# apps and scripts only (the root tsconfig.json also references bench, which the image leaves out),
# then Vite builds the web chat's page into apps/web/dist/public.

FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json tsconfig.base.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
RUN npm run build:image
RUN npm prune --omit=dev --no-audit --no-fund \
 && find libs apps scripts -name src -type d -prune -exec rm -rf {} +

FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app ./
RUN mkdir -p /keys && chown node:node /keys
USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "apps/auth/dist/main.js"]
