# boxoffice as a container image: built as the README builds it (scripts/install-deps.sh, the
# CMake `release` preset), run as a non-root user with nothing but the binary and its libraries.
#
#   docker build -t boxoffice .
#   docker run -p 8080:8080 boxoffice                      embedded store in /var/lib/boxoffice/data
#   docker-compose up -d                                   with PostgreSQL and Redis (README: Deploy)

# ---- build ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS build
WORKDIR /src
# The build packages only (no PostgreSQL, browser or Node.js, which the tests need).
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh --build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset release >/dev/null \
 && cmake --build --preset release -j"$(nproc)" --target boxoffice \
 && mkdir -p /out \
 && objcopy --strip-debug build/release/boxoffice /out/boxoffice

# ---- run -----------------------------------------------------------------------------------
FROM debian:bookworm-slim
# The shared libraries the binary links (tests/deploy checks the list against `ldd`), tzdata for
# the theaters' time zones, curl for the health check.
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --runtime \
 && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh \
 && groupadd --system --gid 10001 boxoffice \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/boxoffice --create-home \
            --shell /usr/sbin/nologin boxoffice \
 && install -d -o boxoffice -g boxoffice -m 0750 /var/lib/boxoffice/data
COPY --from=build /out/boxoffice /usr/local/bin/boxoffice
# Every setting is a BOXOFFICE_* variable (README: Configuration); these are the image's own.
ENV BOXOFFICE_LISTEN=0.0.0.0:8080 \
    BOXOFFICE_DATA_DIR=/var/lib/boxoffice/data
# A numeric user, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/boxoffice
VOLUME ["/var/lib/boxoffice/data"]
EXPOSE 8080
# Liveness: the process answers. (Readiness, /readyz, is for load balancers: k8s/, nginx.)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
# boxoffice is PID 1 and handles SIGTERM itself: it drains in-flight requests for up to
# BOXOFFICE_SHUTDOWN_TIMEOUT (10 s). Give the container longer than that to stop
# (docker-compose.yml: stop_grace_period; k8s/: terminationGracePeriodSeconds).
ENTRYPOINT ["boxoffice", "serve"]
