# One image for every service; docker-compose.yml picks the entry point per container.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY kit ./kit
COPY gateway ./gateway
COPY subgraphs ./subgraphs
USER node
# Overridden per service in docker-compose.yml.
CMD ["node", "--import", "tsx", "gateway/index.ts"]
