#!/usr/bin/env bash
# Sets up podman and a local `python:3.11-slim` when they are missing, so that `make image`
# and `make image-test` run on a machine that reaches no container registry (this one, CI).
# Idempotent: a second run only checks. Prints the CONTAINERS_CONF to export.
#
# The base is Debian bookworm from debootstrap (`podman import`), with Debian's Python 3.11
# on top, tagged docker.io/library/python:3.11-slim so that the Dockerfile's FROM resolves
# with --pull=never. It differs from the real image (Python in /usr/bin, not /usr/local);
# the Dockerfile's venv works on both.
set -euo pipefail

STATE_DIR="${CONTAINER_STATE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.container}"
BASE_TAG="docker.io/library/python:3.11-slim"
DEBIAN_TAG="localhost/debian:bookworm"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$STATE_DIR"

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
[ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)  # `run --init`
if [ ${#need[@]} -gt 0 ]; then
    echo "container-base: installing ${need[*]} (and podman's network helpers)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        podman runc debootstrap catatonit netavark aardvark-dns containernetworking-plugins \
        fuse-overlayfs slirp4netns uidmap >/dev/null
fi

# crun fails on these hosts ("cgroups in hybrid mode not supported"); higher ulimits than
# these fail with "setrlimit … operation not permitted".
CONF="$STATE_DIR/containers.conf"
cat >"$CONF" <<'CONF'
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
CONF
export CONTAINERS_CONF="$CONF"

if ! podman image exists "$BASE_TAG"; then
    if ! podman image exists "$DEBIAN_TAG"; then
        rootfs="$STATE_DIR/rootfs"
        rm -rf "$rootfs"
        echo "container-base: debootstrap bookworm (about a minute)" >&2
        debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$STATE_DIR/debootstrap.log"
        tar -C "$rootfs" -c . | podman import - "$DEBIAN_TAG" >/dev/null
        rm -rf "$rootfs"
    fi
    echo "container-base: Debian's Python 3.11 as $BASE_TAG" >&2
    podman build --pull=never --network=host -t "$BASE_TAG" -f - "$STATE_DIR" >/dev/null <<CONTAINERFILE
FROM $DEBIAN_TAG
RUN apt-get update && apt-get install -y --no-install-recommends \
        python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/bin/python3 /usr/local/bin/python
CMD ["python3"]
CONTAINERFILE
fi
echo "$CONF"
