#!/usr/bin/env bash
# Installs the pinned MeshCentral npm package (server + Linux agent binaries) into the cache,
# outside the repository (it is ~450 MB). Idempotent: a complete install is reused at once.
# Prints the install directory (the one holding node_modules/meshcentral).
set -euo pipefail
version="${MESHCENTRAL_VERSION:-1.1.55}"
cache="${CACHE_DIR:-$HOME/.cache/mspflow}"
dir="$cache/meshcentral-$version"
if [ -f "$dir/.complete" ] && [ -f "$dir/node_modules/meshcentral/agents/meshagent_x86-64" ]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$cache"
# Install into a staging directory and rename it: a killed install never looks complete.
staging="$(mktemp -d "$cache/.meshcentral-$version.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
(
  cd "$staging"
  printf '{"name":"mspflow-meshcentral","private":true}\n' > package.json
  npm install --no-audit --no-fund --save-exact --loglevel=error "meshcentral@$version" >&2
  test -f node_modules/meshcentral/agents/meshagent_x86-64
  test -f node_modules/meshcentral/meshcentral.js
)
touch "$staging/.complete"
rm -rf "$dir"
mv "$staging" "$dir"
trap - EXIT
echo "$dir"
