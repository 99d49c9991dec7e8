#!/usr/bin/env bash
# Set up .venv with the test extras, install Chromium for the browser tests, run the suite.
# Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
install_project "[test]"

# Debian packages the tests need: Chromium for the map pages, a CJK font for Chinese text
# in the PNG maps and the browser screenshots.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    echo "installing Debian packages for the tests: ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cd "$ROOT"
exec "$VENV/bin/python" -m pytest -n 2 "$@"
