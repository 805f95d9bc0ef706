# One image for every service and worker; docker-compose.yml picks the entry point per container.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY kit ./kit
COPY pipeline ./pipeline
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY scripts/build.ts ./scripts/build.ts
# Every entry point compiled to JavaScript once, here: no process compiles TypeScript at run time.
RUN node --import tsx scripts/build.ts
# The supergraph is composed once, at build time, from the subgraphs' schema files; the
# gateway loads it (SUPERGRAPH_PATH) instead of composing at start. Subgraph URLs come
# from the environment at run time.
RUN node --import tsx gateway/compose.ts /app/supergraph.graphql
USER node
CMD ["node", "--enable-source-maps", "dist/gateway/index.js"]
