#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run all of it:
# Python tests (engine, feedback, widget, notebooks, browser) and the front end's unit tests.
#
#   bash tests/run.sh            # from the repository root
#   bash tests/run.sh -k feedback   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${NUDGECLUSTER_VENV:-.venv}
PY=${PYTHON:-python3}

# Chromium for the browser tests, from the distribution's packages (no browser downloads).
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# A CPU build of torch first: an unpinned torch requirement would pull a multi-GB CUDA build.
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "torch==2.13.0"
# Editable install builds the front end (npm install + esbuild) through hatch-jupyter-builder.
"$VENV/bin/python" -m pip install -q -e ".[test]"

# Front-end unit tests (vitest) on the same node_modules the build used.
npm --prefix js ci --no-audit --no-fund --loglevel=error
npm --prefix js test

# Browser tests must run, not skip, where CI asks for them.
if [ "${CI:-}" = "true" ]; then export NUDGECLUSTER_REQUIRE_BROWSER=1; fi
export PYTHONUNBUFFERED=1
# pytest's own exit status is the result: 5 (no tests collected) fails this script too.
exec "$VENV/bin/python" -m pytest "$@"
