# The service image: every role is this image with a different command (see docker-compose.yml).
# `docker build .` builds the service (the last stage); `docker build --target simulator .` builds the
# marketplace simulator's own image. The service's stages copy only src/ and migrations/, so the
# simulator (simulator/) never reaches the service image.
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM dependencies AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json
# The workflows bundled once, here: the worker loads dist/workflow-bundle.js and never runs webpack.
RUN node dist/src/commands/build-workflow-bundle.js

FROM dependencies AS simulator-build
COPY tsconfig.json ./
COPY simulator ./simulator
RUN npx tsc -p simulator/tsconfig.build.json

# The marketplace stand-in for demos: Node builtins only, no npm dependencies.
FROM node:24-bookworm-slim AS simulator
ENV NODE_ENV=production
WORKDIR /app
COPY --from=simulator-build /app/simulator/dist ./dist
USER node
CMD ["node", "dist/main.js"]

FROM node:24-bookworm-slim AS service
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
USER node
