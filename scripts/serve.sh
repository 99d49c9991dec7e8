#!/usr/bin/env bash
# Set up .venv and serve the Jingkou maps. Extra arguments go to `circles serve`.
source "$(dirname "$0")/_venv.sh"
install_project ""
exec "$VENV/bin/circles" serve --scenario jingkou "$@"
