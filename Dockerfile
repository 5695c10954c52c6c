# credreg: a multi-stage build of a static binary, run as a non-root user
# with the store on a volume.
#
#   docker build -t credreg .
#   docker run -p 8080:8080 -v credreg-data:/data \
#     -e CREDREG_BASE=https://registry.example.gov credreg

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/credreg ./cmd/credreg \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/credreg /usr/local/bin/credreg
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 8080
# Set CREDREG_BASE to the public address the registry answers on: every IRI
# it mints is under it, and a store keeps the base it was created with.
ENV CREDREG_ADDR=0.0.0.0:8080 \
    CREDREG_BASE=http://localhost:8080 \
    CREDREG_STORE=badger:///data
ENTRYPOINT ["/usr/local/bin/credreg"]
CMD ["serve"]
