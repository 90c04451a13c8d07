# imgr server image: one image for every back-end role.
#   docker run imgr:<sha> api      HTTP API (the default command)
#   docker run imgr:<sha> worker   resize worker (serves /health, /metrics on PORT too)
#   docker run imgr:<sha> sweep    one pass re-enqueueing missing variants, then exit (periodic job)
# One image rather than api/worker images: they are the same TypeScript code (cli/dist/main.js dispatches on
# the command) with the same dependencies (sharp, the S3 and AMQP clients), so two images would be two
# identical builds to run, scan, push and keep in step. One build, one tag to deploy; the command picks the role.
#
# Build from the repository root (classic builder and BuildKit alike; no BuildKit-only syntax):
#   docker build -f deploy/docker/imgr.Dockerfile \
#     --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) -t imgr:dev .
#
# Stages: deps (all deps, for tsc) -> build (compile) ; prod-deps (runtime deps only) -> app (assembled /app) ;
# rootfs (node + the shared libraries it needs + tini) -> the final stage, built on scratch.
# The final image has no shell, no package manager, no npm: node, glibc/libstdc++, tini, /app.

# Exact Node.js 24 LTS release on Debian 12. Every stage starts from it, so the node binary copied into the
# final image is the one the dependencies were installed and compiled against.
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
# Only the manifests first: this layer and `npm ci` stay cached as long as no dependency changes.
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY api/package.json api/
COPY worker/package.json worker/
COPY cli/package.json cli/
COPY web/package.json web/
# Back-end workspaces + the root devDependencies (typescript); the web app is built in web.Dockerfile.
RUN npm ci --no-audit --no-fund --workspace core --workspace api --workspace worker --workspace cli \
      --include-workspace-root

FROM deps AS build
COPY tsconfig.base.json tsconfig.json ./
COPY core/ core/
COPY api/ api/
COPY worker/ worker/
COPY cli/ cli/
RUN npx tsc -b

# Runtime dependencies only: no typescript, vitest, biome or type packages.
FROM node:24.21.0-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY core/package.json core/
COPY api/package.json api/
COPY worker/package.json worker/
COPY cli/package.json cli/
COPY web/package.json web/
# Then drop what node never loads at run time (type declarations, source maps, TypeScript sources, docs, the
# packages' own tests): about half of node_modules on disk. Licence files stay.
RUN npm ci --no-audit --no-fund --omit=dev --workspace core --workspace api --workspace worker --workspace cli \
    && rm -rf web node_modules/@imgr/web \
    && find node_modules -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name example \
         -o -name examples -o -name benchmark -o -name benchmarks -o -name dist-types -o -name .github \) \
         -prune -exec rm -rf {} + \
    && find node_modules -type f ! -iname 'licen[cs]e*' \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
         -o -name '*.map' -o -name '*.md' -o -name '*.markdown' -o -name '*.tsbuildinfo' -o -name '.npmignore' \
         -o -name '.eslintrc*' -o -name '.editorconfig' -o -name '.prettierrc*' -o -name 'tsconfig*.json' \) -delete \
    && du -sh node_modules

# /app as it will run: production node_modules + each workspace's package.json and compiled dist/.
FROM prod-deps AS app
COPY --from=build /app/core/dist core/dist
COPY --from=build /app/api/dist api/dist
COPY --from=build /app/worker/dist worker/dist
COPY --from=build /app/cli/dist cli/dist
# tests and type maps are not needed at run time
RUN find core/dist api/dist worker/dist cli/dist \( -name '*.test.*' -o -name '*.d.ts.map' \) -delete

# A distroless-like root: the node binary, exactly the shared libraries it and the native addons (sharp)
# link against (found with ldd, so this also works on arm64), CA certificates, passwd/group for the
# unprivileged user, an empty /tmp.
# Scanner metadata, as distroless images carry it: /etc/os-release and a dpkg database listing exactly the
# Debian packages the copied files come from (status with their versions, info/<pkg>.list with only the
# files present, tini-static under the name it has here), so Trivy and Grype identify those libraries
# (tests/docker/scanner-metadata.sh checks it). tini-static comes from Debian (pinned version).
# node is stripped of its debug symbols (-18 MB; .dynsym stays, so native addons still link): native frames
# in perf/gdb lose their names, JavaScript stack traces are unchanged. Needed to stay under 200 MB.
FROM node:24.21.0-bookworm-slim AS rootfs
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 ca-certificates binutils \
    && rm -rf /var/lib/apt/lists/*
COPY --from=prod-deps /app/node_modules/@img /tmp/img
# Keep the base's merged-/usr links (/lib -> usr/lib, ...), then copy each library under its soname into the
# real directory, so the loader finds it at the very path ldd printed.
RUN set -eu; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/tmp /rootfs/app; \
    for d in bin sbin lib lib64; do if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "/rootfs/$d"; fi; done; \
    cp /usr/local/bin/node /rootfs/usr/local/bin/node; \
    strip --strip-all /rootfs/usr/local/bin/node; \
    cp /usr/bin/tini-static /rootfs/usr/local/bin/tini; \
    for f in /usr/local/bin/node $(find /tmp/img -type f \( -name '*.node' -o -name '*.so*' \)); do \
      ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'; \
    done | sort -u | grep -v '^/tmp/img/' > /tmp/libs; \
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
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/tmp:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'root:x:0:\nnode:x:1000:\n' > /rootfs/etc/group; \
    chmod 1777 /rootfs/tmp; \
    chroot /rootfs /usr/local/bin/node -e 'process.exit(0)'; \
    du -sh /rootfs

FROM scratch
COPY --from=rootfs /rootfs/ /
COPY --from=app /app /app
WORKDIR /app
# NODE_ENV: production code paths in dependencies (fastify, pino).
# MALLOC_ARENA_MAX=2: glibc otherwise creates up to 8 arenas per core for libvips' threads and the resident
#   memory of a resize worker keeps growing through fragmentation; 2 arenas keep it flat at a small CPU cost.
# UV_THREADPOOL_SIZE=16: libuv's pool runs every sharp pipeline beside fs and DNS: the worker renders
#   IMGR_WORKER_CONCURRENCY (2) images of up to 5 pipelines each, the API one trial decode per upload slot (8),
#   so 16 keeps storage I/O from waiting behind them. Only the environment at exec counts: Node starts the
#   pool before any of imgr's code runs (measured: setting it in code changes nothing).
# NODE_OPTIONS is left to each role's deployment (Nomad job, compose.yaml): the API wants a small V8 young
#   generation (memory), the worker a large one (CPU); see docs/benchmarks.md.
# HOME=/tmp: the only writable place when the root filesystem is read-only.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    UV_THREADPOOL_SIZE=16 \
    HOME=/tmp \
    PORT=8080 \
    PATH=/usr/local/bin
# The unprivileged user of the node base image (uid 1000), numeric so no user database lookup is needed.
USER 1000:1000
EXPOSE 8080
# Liveness through the app's own route with node's fetch: no curl or shell in the image. It probes loopback,
# which the app listens on with the default HOST (0.0.0.0) and with HOST=127.0.0.1. Timeout 5 s: starting node
# takes ~50 ms on an idle host but seconds on a saturated one, and a busy instance is not a dead one.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tini as PID 1: forwards SIGTERM/SIGINT to node (which drains and exits 0 by itself) and reaps zombies.
# Plain node as PID 1 would ignore SIGTERM until the app installed its handler (the kernel drops signals that
# PID 1 has no handler for), so a `docker stop` during start-up would wait for the SIGKILL deadline.
ENTRYPOINT ["/usr/local/bin/tini", "--", "/usr/local/bin/node", "/app/cli/dist/main.js"]
CMD ["api"]
# Labels last: a new revision changes only this metadata, never a cached layer above.
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/imgr/imgr
# The commit for `imgr --version`, imgr_build_info and traces (core/src/version.ts reads it).
ENV IMGR_REVISION=${REVISION}
LABEL org.opencontainers.image.title="imgr" \
      org.opencontainers.image.description="imgr API, resize worker and sweep (command: api|worker|sweep)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
