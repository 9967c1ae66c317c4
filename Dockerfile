# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on a distroless base as a
# non-root user; the database lives on the /data volume.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/multa .
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/multa /usr/local/bin/multa
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV MULTA_ADDR=:8080 MULTA_DB=/data/multa.db
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/multa", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/multa"]
CMD ["serve"]
