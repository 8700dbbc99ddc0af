#!/usr/bin/env bash
# Build the separate virtualenv that runs bovine-herd as a test peer.
#
#   tests/peers/bovine/setup_venv.sh [VENV_DIR]
#
# VENV_DIR defaults to $BOVINE_VENV, else <repo>/.venv-bovine. bovine-herd pins older Quart
# and tortoise-orm than Causeway, so it never shares Causeway's venv. Versions come from
# requirements.txt beside this script (a full freeze). Idempotent: when VENV_DIR already holds
# a venv built from the same requirements and interpreter (marker file with their hash), it
# returns at once. Concurrent callers are serialised with flock.
#
# Interpreter: $BOVINE_PYTHON, else the first CPython 3.11 found among python3.11,
# /usr/bin/python3.11, python3.
# Exit codes: 0 ready, 3 no usable interpreter, other = pip or venv failure (for example no
# access to the package index).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="${1:-${BOVINE_VENV:-$repo/.venv-bovine}}"
req="$here/requirements.txt"

find_python() {
    local candidate
    for candidate in ${BOVINE_PYTHON:-} python3.11 /usr/bin/python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! py="$(find_python)"; then
    echo "setup_venv.sh: no CPython 3.11 found (set BOVINE_PYTHON)" >&2
    exit 3
fi

stamp="$( { cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
marker="$venv/.causeway-bovine-ready"

is_ready() {
    [ -x "$venv/bin/python" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ]
}

if is_ready; then
    echo "bovine venv ready: $venv"
    exit 0
fi

lock="/tmp/causeway-bovine-venv-$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9

if is_ready; then  # somebody else built it while we waited
    echo "bovine venv ready: $venv"
    exit 0
fi

start=$(date +%s)
echo "building bovine venv at $venv with $py ($("$py" --version 2>&1))"
rm -rf "$venv"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
"$venv/bin/python" -c 'import bovine, bovine_herd, bovine_tool, hypercorn, quart, tortoise'
echo "$stamp" >"$marker"
echo "bovine venv built in $(( $(date +%s) - start )) s: $venv"
