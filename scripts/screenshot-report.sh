#!/usr/bin/env bash
# Screenshots a report's index.html with Debian's chromium in headless mode, so the page can
# be checked by eye without a desktop.
#   scripts/screenshot-report.sh REPORT_DIR_OR_HTML [OUT.png] [WIDTHxHEIGHT]
# Needs chromium (`apt-get install -y chromium`). Network features are switched off: the
# page is self-contained and the screenshot must not depend on (or wait for) anything else.
set -euo pipefail

target=${1:?usage: scripts/screenshot-report.sh REPORT_DIR_OR_HTML [OUT.png] [WIDTHxHEIGHT]}
[[ -d "$target" ]] && target="$target/index.html"
[[ -f "$target" ]] || { echo "screenshot-report: $target: no such file" >&2; exit 1; }
html=$(cd "$(dirname "$target")" && pwd)/$(basename "$target")
out=${2:-$(dirname "$html")/screenshot.png}
size=${3:-1320x4200}

chrome=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$chrome" ]] || { echo "screenshot-report: chromium not found (apt-get install -y chromium)" >&2; exit 1; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
tmp="$out.tmp-$$.png"
"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --window-size="${size/x/,}" --screenshot="$tmp" "file://$html" 2>"$profile/chromium.log" || {
  cat "$profile/chromium.log" >&2
  rm -f "$tmp"
  exit 1
}
[[ -s "$tmp" ]] || { echo "screenshot-report: chromium wrote no screenshot" >&2; cat "$profile/chromium.log" >&2; exit 1; }
mv "$tmp" "$out"
echo "$out"
