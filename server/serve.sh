#!/usr/bin/env bash
# Install (first run only) and serve the knowledge graph with its query page:
#
#   bash server/serve.sh [idlib-kg serve options, e.g. --port 8000 --host 0.0.0.0]
#
# Creates .venv, installs the package, installs YASGUI from the npm registry into
# server/ui/node_modules (without npm, the page falls back to a plain form), then runs
# `idlib-kg serve`, which prints the URL to open. Needs python3 with venv; as root on a bare
# Debian machine it installs python3-venv and npm itself.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if ((${#need[@]})) && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
[ -x .venv/bin/idlib-kg ] || .venv/bin/python -m pip install -q --disable-pip-version-check -e .
if [ ! -f server/ui/node_modules/@zazuko/yasgui/build/yasgui.min.js ]; then
    if command -v npm >/dev/null 2>&1; then
        npm ci --prefix server/ui --no-audit --no-fund --loglevel=error \
            || echo "serve.sh: npm ci failed; the query page falls back to the plain form" >&2
    else
        echo "serve.sh: npm is missing; the query page falls back to the plain form" >&2
    fi
fi
exec .venv/bin/idlib-kg serve "$@"
