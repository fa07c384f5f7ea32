#!/usr/bin/env bash
# What `npm install facial-resnet` puts on a user's disk: builds and packs this checkout,
# installs the tarball into an empty project (dependencies only, as a user gets them, no
# optional peers), and prints node_modules' size and its largest packages.
#   bash bench/install-size.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$here" && npm run --silent build && npm pack --silent --pack-destination "$tmp" >/dev/null)
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --omit=dev --omit=peer ./facial-resnet-*.tgz >/dev/null 2>&1
echo "tarball: $(du -m facial-resnet-*.tgz | cut -f1) MB; node_modules: $(du -sm node_modules | cut -f1) MB in $(find node_modules -name package.json -path '*node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*/*/package.json' | wc -l) package.json files"
echo "largest packages (MB):"
# One du per package: a single du over nested folders would count a scope's packages only once.
for d in node_modules/[!@]*/ node_modules/@*/*/; do du -sm "$d"; done | sort -rn | head -12 | sed 's#node_modules/##; s#/$##'
