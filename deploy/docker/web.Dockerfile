# imgr web front end: the Vite build of web/ served by a small Node.js static server (sirv, see
# deploy/docker/web-server/server.mjs) that sends the page's security and cache headers, the same table the
# API uses when it serves the page itself (api/src/page-headers.ts).
# The page reads /config.json at start ({"endpoint": "/"} here: same origin, behind the ingress), so one image
# serves every environment; mount another config.json over /srv/www/config.json to point it elsewhere (the
# server adds that API origin to the CSP's connect-src and img-src at start).
#
#   docker build -f deploy/docker/web.Dockerfile \
#     --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) -t imgr-web:dev .
#
# No BuildKit-only syntax: builds with the classic builder too.

# Exact Node.js 24 LTS release, used for the build and as the source of the run time's node binary.
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

# The static server with its production dependencies only (sirv and its three small dependencies), from its
# own lock file: none of the monorepo's packages are needed at run time.
FROM node:24.21.0-bookworm-slim AS server
WORKDIR /server
COPY deploy/docker/web-server/package.json deploy/docker/web-server/package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev
COPY deploy/docker/web-server/server.mjs ./
# The header table itself, not a copy of its values: node runs the .ts file with type stripping.
COPY api/src/page-headers.ts ./

# A distroless-like root as in imgr.Dockerfile: the node binary, exactly the shared libraries it links against
# (found with ldd), passwd/group for the unprivileged user, /etc/os-release and a dpkg database naming the
# Debian packages of those files (so vulnerability scanners see them). tini-static from Debian, pinned.
# node is stripped of its debug symbols (-18 MB): native frames in perf/gdb lose names, JS stacks do not.
FROM node:24.21.0-bookworm-slim AS rootfs
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 binutils \
    && rm -rf /var/lib/apt/lists/*
# Keep the base's merged-/usr links (/lib -> usr/lib, ...), then copy each library under its soname into the
# real directory, so the loader finds it at the very path ldd printed.
RUN set -eu; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc /rootfs/tmp /rootfs/srv; \
    for d in bin sbin lib lib64; do if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "/rootfs/$d"; fi; done; \
    cp /usr/local/bin/node /rootfs/usr/local/bin/node; \
    strip --strip-all /rootfs/usr/local/bin/node; \
    cp /usr/bin/tini-static /rootfs/usr/local/bin/tini; \
    ldd /usr/local/bin/node | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u > /tmp/libs; \
    while read -r lib; do \
      dir=$(readlink -f "$(dirname "$lib")"); mkdir -p "/rootfs$dir"; cp -L "$lib" "/rootfs$dir/"; \
    done < /tmp/libs; \
    mkdir -p /rootfs/var/lib/dpkg/info; \
    { cat /tmp/libs; echo /usr/bin/tini-static; } | while read -r file; do \
      dpkg -S "*/$(basename "$(dirname "$file")")/$(basename "$file")" | head -1; \
    done | sort -u > /tmp/owners; \
    sed 's/: .*//' /tmp/owners | sort -u > /tmp/packages; \
    while read -r pkg; do grep "^$pkg: " /tmp/owners | sed 's/^[^ ]* //' > "/rootfs/var/lib/dpkg/info/$pkg.list"; done < /tmp/packages; \
    sed -i 's#^/usr/bin/tini-static$#/usr/local/bin/tini#' /rootfs/var/lib/dpkg/info/tini*.list; \
    xargs dpkg-query -s < /tmp/packages > /rootfs/var/lib/dpkg/status; \
    cp -L /etc/os-release /rootfs/etc/os-release; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/tmp:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'root:x:0:\nnode:x:1000:\n' > /rootfs/etc/group; \
    chmod 1777 /rootfs/tmp; \
    chroot /rootfs /usr/local/bin/node -e 'process.exit(0)'

FROM scratch
COPY --from=rootfs /rootfs/ /
COPY --from=server /server /server
COPY --from=build /app/web/dist /srv/www
# NODE_ENV: production code paths, if a dependency has any. HOME=/tmp: the only writable place when the root
# filesystem is read-only. PATH: node is the one program, no shell to look anything up.
ENV NODE_ENV=production \
    HOME=/tmp \
    PORT=8080 \
    WEB_ROOT=/srv/www \
    PATH=/usr/local/bin
# The unprivileged user of the node base image (uid 1000), numeric so no user database lookup is needed;
# the files stay root-owned and read-only for it.
USER 1000:1000
EXPOSE 8080
# No curl/wget in the image: node's fetch is the probe. config.json: served from the listing like every file.
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/node", "-e", "fetch('http://127.0.0.1:8080/config.json').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini as PID 1: forwards SIGTERM to node (which closes the server and exits 0 by itself) and reaps zombies.
ENTRYPOINT ["/usr/local/bin/tini", "--"]
CMD ["/usr/local/bin/node", "/server/server.mjs"]
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/imgr/imgr
LABEL org.opencontainers.image.title="imgr-web" \
      org.opencontainers.image.description="imgr web page (static files)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
