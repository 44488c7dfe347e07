#!/bin/sh
# Installs the npm dependencies when node_modules is missing or older than the lock file, so the
# README's two commands work on a fresh clone. This runs on the machine's own npm; every step after
# it runs on the project's Node 24 from node_modules/.bin, which npm scripts put first on PATH.
#
# Not `npm ci`: it insists that every platform's optional binary (darwin, win32, ...) is in the lock
# file, and the registry mirror our machines reach lacks some of them. `npm install --no-save`
# installs exactly the locked versions and leaves package-lock.json as it is.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies"
  npm install --no-save --no-audit --no-fund
fi
