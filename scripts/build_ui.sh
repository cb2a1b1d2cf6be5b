#!/usr/bin/env bash
# build_ui.sh — build the web UI (ui/ -> ui/dist/, which `pytone run` serves).
#   scripts/build_ui.sh          install ui/node_modules from the lockfile if
#                                needed, then build when a source changed
#   scripts/build_ui.sh --deps   only install ui/node_modules
# Without a usable Node (>= 20.19, npm) it keeps the last built ui/dist and
# says so; exit 0 then if a built copy exists, 3 if none does.
set -u
cd "$(dirname "$0")/../ui"
deps_only=0
[ "${1:-}" = --deps ] && deps_only=1

fallback() {
  if [ -f dist/index.html ]; then
    echo "build_ui: $1; serving the last built copy in ui/dist" >&2
    exit 0
  fi
  echo "build_ui: $1; no built UI in ui/dist (the engine serves a placeholder page)" >&2
  exit 3
}

command -v node >/dev/null && command -v npm >/dev/null || fallback "Node.js/npm not found"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || fallback "Node.js $(node --version) is too old (Vite needs 20.19 or newer)"

# one installer at a time (ctest runs the UI tests in parallel)
exec 9>".install.lock"
command -v flock >/dev/null && flock 9
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "build_ui: installing the UI's packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || fallback "npm ci failed"
fi
command -v flock >/dev/null && flock -u 9
[ $deps_only = 1 ] && exit 0

if [ -f dist/index.html ] && [ -z "$(find src index.html package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "build_ui: ui/dist is up to date" >&2
  exit 0
fi
exec 8>".build.lock"
command -v flock >/dev/null && flock 8
npx --no-install tsc --noEmit -p . >&2 || fallback "type check failed"
npx --no-install vite build --logLevel warn >&2 || fallback "vite build failed"
echo "build_ui: built ui/dist" >&2
