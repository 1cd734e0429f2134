# batchd's container image: the static binary on an empty base, run as a
# non-root user. Build the binary first (pure Go, no C library needed):
#
#   CGO_ENABLED=0 go build -trimpath -o batchd ./cmd/batchd
#   docker build -t batchd .
#
# Jobs run as containers of the host's Docker Engine: mount its socket and
# give batchd's user its group, e.g.
#
#   docker run -d --name batchd -p 127.0.0.1:8080:8080 -v batchd-data:/var/lib/batchd \
#     -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" batchd
FROM scratch
COPY packaging/docker/rootfs/etc/ /etc/
COPY --chown=65532:65532 packaging/docker/rootfs/var/ /var/
COPY batchd /usr/local/bin/batchd
USER 65532:65532
# Jobs run through the host's engine. The isolated job network needs batchd
# on the host itself (it binds a socket of batchd's into each job's network
# holder), so from this image jobs share the host's network, or name an
# engine network with BATCHD_DOCKER_NETWORK.
ENV BATCHD_LISTEN=0.0.0.0:8080 BATCHD_DATA_DIR=/var/lib/batchd TMPDIR=/var/tmp/batchd HOME=/var/lib/batchd \
    BATCHD_EXECUTOR=docker BATCHD_DOCKER_NETWORK=host
VOLUME /var/lib/batchd
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/batchd"]
CMD ["serve"]
