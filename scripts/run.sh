#!/usr/bin/env bash
# run.sh — what `make run` starts: the engine with a rig, on the default audio
# device, or on the virtual device where none exists (pytone says which).
set -u
PYTONE=${1:-build/pytone}
RIG=${2:-rigs/default.yaml}
shift 2 2>/dev/null || shift $#
cd "$(dirname "$0")/.."
echo "make run: playing $RIG (Ctrl-C to stop)"
exec "$PYTONE" run "$RIG" --stats "$@"
