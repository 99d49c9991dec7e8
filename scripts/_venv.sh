# Sourced by serve.sh, test.sh and wheel_smoke.sh: create .venv with Python >= 3.11 and
# install the project (editable) once; later runs reinstall only when the packaging
# (pyproject.toml, setup.py) changed.
# Usage: install_project EXTRAS   (EXTRAS is "" or "[test]")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

pick_python() {
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "service-circles needs Python 3.11 or newer on PATH" >&2
    return 1
}

install_project() {
    local extras="$1"
    local stamp="$VENV/.installed-project${extras}"
    local digest
    digest="$(cat "$ROOT/pyproject.toml" "$ROOT/setup.py" | "$(pick_python)" -c \
        'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    if [ ! -x "$VENV/bin/python" ]; then
        "$(pick_python)" -m venv "$VENV"
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0  # installed editable: code changes need no reinstall
    fi
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT$extras"
    echo "$digest" >"$stamp"
}
