# imgr web front end: the Vite build of web/ served as static files by BusyBox httpd.
# The page reads /config.json at start ({"endpoint": "/"} here: same origin, behind the ingress), so one image
# serves every environment; mount another config.json over /srv/www/config.json to point it elsewhere.
#
#   docker build -f deploy/docker/web.Dockerfile \
#     --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) -t imgr-web:dev .
#
# No BuildKit-only syntax: builds with the classic builder too.

# Exact Node.js 24 LTS release, used for the build only.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
# Manifests first: `npm ci` stays cached while only source files change.
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY api/package.json api/
COPY worker/package.json worker/
COPY cli/package.json cli/
COPY web/package.json web/
# The web workspace and the root devDependencies (typescript runs in web's build script).
RUN npm ci --no-audit --no-fund --workspace web --include-workspace-root
COPY tsconfig.base.json ./
# The page shares two import-free modules with the server: the list of sizes and the limiter.
COPY core/src/variants.ts core/src/limiter.ts core/src/
COPY web/ web/
# The API's response types, which the page imports type-only (web/tsconfig.json `paths`); nothing else of the API.
COPY api/src/contract.ts api/src/
RUN npm run build --workspace web \
    && test -f web/dist/index.html \
    && if [ ! -f web/dist/config.json ]; then echo '{"endpoint": "/"}' > web/dist/config.json; fi

# tini-static from Debian (pinned): BusyBox httpd, as PID 1, would ignore SIGTERM (the kernel drops signals
# PID 1 has no handler for) and every `docker stop` would wait for the SIGKILL deadline.
FROM node:24.21.0-bookworm-slim AS tini
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/*

# BusyBox (exact version): a static httpd in a ~4 MB image. The run time needs no shell: the entrypoint and
# the health check are exec-form commands.
FROM busybox:1.35.0
COPY --from=tini /usr/bin/tini-static /sbin/tini
COPY deploy/docker/web-httpd.conf /etc/httpd.conf
COPY --from=build /app/web/dist /srv/www
# nobody:nogroup of the BusyBox image; the files stay root-owned and read-only for it.
USER 65534:65534
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/config.json"]
# -f: foreground; -v: one log line per request on stderr; -c: MIME types and the SPA fallback.
# tini -e 143: httpd has no SIGTERM handler and dies of the signal, its normal way to stop; report that as 0.
ENTRYPOINT ["/sbin/tini", "-e", "143", "--"]
CMD ["/bin/httpd", "-f", "-v", "-p", "8080", "-h", "/srv/www", "-c", "/etc/httpd.conf"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/imgr/imgr
LABEL org.opencontainers.image.title="imgr-web" \
      org.opencontainers.image.description="imgr web page (static files)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
