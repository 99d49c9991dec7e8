#!/usr/bin/env bash
# Build the wheel, install it in a fresh virtual environment outside the clone, and check
# that it works there: circles --help, circles analyze --scenario jingkou with the data the
# wheel ships, and one /healthz of circles serve. Also checks that the wheel's top-level
# import names are only geo and api.
source "$(dirname "$0")/_venv.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/circles-wheel.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$VENV/bin/python" -m pip install --quiet build
"$VENV/bin/python" -m build --wheel --outdir "$WORK/dist" "$ROOT" >/dev/null
"$(pick_python)" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet "$WORK"/dist/*.whl

# Run from the scratch folder: nothing of the clone may be on the path.
cd "$WORK"
export CIRCLES_OFFLINE=true
"$WORK/venv/bin/circles" --help >/dev/null
"$WORK/venv/bin/python" - <<'PY'
from importlib.metadata import distribution

names = sorted(distribution("service-circles").read_text("top_level.txt").split())
assert names == ["api", "geo"], f"top-level import names of the wheel: {names}"
import geo

print(f"wheel {geo.__version__}: top-level names {names}")
PY
"$WORK/venv/bin/circles" analyze --scenario jingkou --no-progress --out "$WORK/analysis"
test -s "$WORK/analysis/summary.json"

PORT="$("$WORK/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$WORK/venv/bin/circles" serve --scenario jingkou --port "$PORT" --data-dir "$WORK/store" \
    >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
"$WORK/venv/bin/python" - "$PORT" <<'PY'
import json
import sys
import time
import urllib.request

url = f"http://127.0.0.1:{sys.argv[1]}/healthz"
deadline = time.monotonic() + 180
while True:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = json.load(answer)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"no answer from {url} within 180 s")
        time.sleep(1)
assert body["status"] == "ok" and body["scenario"] == "jingkou", body
print(f"healthz: {body['status']}, scenario {body['scenario']}, version {body['version']}")
PY
echo "wheel smoke test passed"
