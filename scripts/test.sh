#!/usr/bin/env bash
# Set up .venv with the test extras, install Chromium for the browser tests, run the suite.
# Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
install_project "[test]"

if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    echo "installing Debian's chromium for the browser tests" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

cd "$ROOT"
exec "$VENV/bin/python" -m pytest -n 2 "$@"
