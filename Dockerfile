# syntax=docker/dockerfile:1
# The server's image for those who build with Docker. It is the image that
# `go run ./cmd/pvebuildimage` builds without an engine (internal/ociimage);
# a test there checks that this file states the same user, entrypoint,
# environment, labels, paths and linker flags.
#
#   docker build --build-arg VERSION=0.1.0 --build-arg COMMIT="$(git rev-parse HEAD)" \
#     --build-arg DATE="$(git log -1 --format=%cI)" -t proxmox-mcp-server:0.1.0 .

FROM golang:1.26.8 AS build
WORKDIR /src
# Modules first, so that a change to the code reuses the download layer; the
# go-sdk is replaced by third_party/go-sdk (go.mod).
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN go mod download
COPY . .
ARG VERSION=0.1.0
ARG COMMIT=
ARG DATE=
# Static (cgo off: the image has no libc), paths trimmed, the release's flags.
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo.version=${VERSION} -X github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo.commit=${COMMIT} -X github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo.date=${DATE}" \
    -o /out/proxmox-mcp-server ./cmd/proxmox-mcp-server
# The directories scratch lacks: /tmp writable by all, and the user's home.
RUN mkdir -p /rootfs/tmp /rootfs/home/nonroot \
    && chmod 1777 /rootfs/tmp \
    && chmod 700 /rootfs/home/nonroot \
    && chown 65532:65532 /rootfs/home/nonroot

FROM scratch
ARG VERSION=0.1.0
ARG COMMIT=
# Debian's CA bundle (ca-certificates, in the golang image), as the Go
# builder takes the build machine's.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY internal/ociimage/rootfs/etc/passwd /etc/passwd
COPY internal/ociimage/rootfs/etc/group /etc/group
COPY --from=build /rootfs/ /
COPY --from=build /out/proxmox-mcp-server /usr/local/bin/proxmox-mcp-server
USER 65532:65532
ENV PATH=/usr/local/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL io.modelcontextprotocol.server.name="io.github.proxmox-mcp/proxmox-mcp-server" \
      org.opencontainers.image.source="https://github.com/proxmox-mcp/proxmox-mcp-server" \
      org.opencontainers.image.url="https://github.com/proxmox-mcp/proxmox-mcp-server" \
      org.opencontainers.image.documentation="https://github.com/proxmox-mcp/proxmox-mcp-server#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later" \
      org.opencontainers.image.title="proxmox-mcp-server" \
      org.opencontainers.image.description="Model Context Protocol server for Proxmox VE"
ENTRYPOINT ["/usr/local/bin/proxmox-mcp-server"]
