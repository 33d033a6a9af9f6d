#!/usr/bin/env bash
# Set up this Debian machine (as root) and run every test: the one command for people and CI.
#
#   bash tests/run.sh [extra pytest arguments]
#
# 1. Debian packages: raptor2-utils rasqal-utils chromium virtuoso-opensource wrk, and a Java
#    runtime for HermiT if there is none (skipped when all are installed already, to keep
#    re-runs fast). Virtuoso's dba password is preseeded, so
#    the install asks nothing; the tests start their own Virtuoso with a database of their own.
# 2. .venv with the package and its test extras (pip install -e ".[test]").
# 3. YASGUI for the query page from the npm registry (npm ci in server/ui; never committed).
# 4. pytest. The tests start and stop every server they need (our endpoint, Virtuoso,
#    Oxigraph, headless Chromium) on 127.0.0.1, so nothing is left running.
# Exit code: pytest's, except that "no tests collected" (5) counts as a failure.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
START=$SECONDS
step() { printf '\n==> [%3ds] %s\n' "$((SECONDS - START))" "$*"; }

APT_PACKAGES=(raptor2-utils rasqal-utils chromium virtuoso-opensource wrk)
NEEDED_COMMANDS=(rapper roqet chromium virtuoso-t isql-vt wrk node npm java)

missing=()
for cmd in "${NEEDED_COMMANDS[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)

if ((${#missing[@]})); then
    step "apt-get install (missing: ${missing[*]})"
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: installing Debian packages needs root; missing: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Virtuoso's package asks for a dba password; answer it up front (the tests use their own
    # databases and passwords, so this one only guards the unused system instance).
    vt_password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    printf '%s\n' \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password $vt_password" \
        "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password $vt_password" \
        | debconf-set-selections
    apt-get update -q
    extra=()
    command -v npm >/dev/null 2>&1 || extra+=(nodejs npm)
    command -v java >/dev/null 2>&1 || extra+=(default-jre-headless)  # HermiT (owlready2)
    python3 -c 'import ensurepip' 2>/dev/null || extra+=(python3-venv)
    apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}" "${extra[@]}"
else
    step "Debian packages already installed"
fi

step "Python venv (.venv) and pip install -e .[test]"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

step "npm ci (YASGUI for the query page, into server/ui/node_modules)"
npm ci --prefix server/ui --no-audit --no-fund --loglevel=error

step "pytest"
mkdir -p tests/output
set +e
.venv/bin/python -m pytest -q -ra --durations=10 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "tests/run.sh: pytest collected no tests: that is a failure" >&2
    status=1
fi
step "done (exit $status)"
exit "$status"
