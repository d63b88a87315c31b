FROM node:24
WORKDIR /opt/parley
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY gateway ./gateway
COPY translators ./translators
COPY deploy/examples ./deploy/examples
USER node
EXPOSE 5060/udp 5060/tcp 9464/tcp
ENTRYPOINT ["node", "gateway/cli.ts"]
CMD ["start", "--config", "/etc/parley/parley.yaml"]
