#!/usr/bin/env bash
# `make image`: builds the Dockerfile in SOURCE (default: this checkout) with podman, as TAG
# (default cyberstrategi:latest). The host's CA bundle goes in as a build secret, for pip
# behind a TLS-intercepting proxy; it is never part of the image.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${1:-$REPO}"
TAG="${2:-cyberstrategi:latest}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(bash "$REPO/scripts/container-base.sh")}"
CA="${IMAGE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
secret=()
[ -f "$CA" ] && secret=(--secret "id=ca,src=$CA")
podman build --pull=never --network=host --format docker "${secret[@]}" -t "$TAG" "$SOURCE"
