#!/usr/bin/env bash
# Packs what travels to the GPU machine (the device tool's `run`): Node, the built library with
# only the node_modules that training and bench load, Dawn's linux-x64 binary, Debian's Vulkan
# loader debs, the PyTorch yardstick and FER2013's Training + PublicTest faces, split into one
# folder per command so that each command's carry fits next to the checkout that always travels.
#
#   scripts/gpu/pack.sh [CHECKOUT]
#
# CHECKOUT (default: this repository) is the checkout the device tool SENDS: the session's own,
# which for a helper in another worktree is not its worktree. The bundle goes to
# CHECKOUT/.gpu-bundle/{c1,c2,...}; command N names .gpu-bundle/cN in `carry`. Each command
# carries 64 MiB at most, CHECKOUT's tracked and untracked-not-ignored files included, so the
# split is computed from CHECKOUT's size at the time of packing: pack again if it has grown.
#
# Environment: FER_CSV (default ../shared/data/fer2013.csv.gz), TORCH_BENCH (default
# ../shared/bench/torch_resnet50.py), MARGIN_MIB (kept free in each command, default 1.5).
# Needs here: a built dist/ (npm run build), node_modules (npm ci), Node 20 on linux-x64, xz,
# apt-get (for the debs, once). Takes ~5 min on 2 cores the first time (xz of Node and of the
# faces); later runs reuse the cache (this repository's .gpu-bundle/cache, or GPU_BUNDLE_CACHE).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
target=$(cd "${1:-$repo}" && pwd)
bundle=$target/.gpu-bundle
# The cache (compressed Node, faces) stays with the scripts, so packing for another checkout reuses it.
cache=${GPU_BUNDLE_CACHE:-$repo/.gpu-bundle/cache}
FER_CSV=${FER_CSV:-$repo/../shared/data/fer2013.csv.gz}
TORCH_BENCH=${TORCH_BENCH:-$repo/../shared/bench/torch_resnet50.py}
MARGIN_MIB=${MARGIN_MIB:-1.5}
LIMIT=$((64 * 1024 * 1024))

die() {
  echo "pack.sh: $*" >&2
  exit 1
}
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
size() { stat -c %s "$@" | awk '{ s += $1 } END { print s + 0 }'; }
dir_size() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# --- what must be here -------------------------------------------------------------------
[ "$(uname -sm)" = "Linux x86_64" ] || die "the GPU machine is linux x86-64; pack on one (this is $(uname -sm))"
node_bin=$(command -v node) || die "no node on PATH: the bundle carries this machine's own Node 20 binary"
node_bin=$(readlink -f "$node_bin")
[[ "$("$node_bin" -v)" == v20.* ]] || die "$node_bin is $("$node_bin" -v); the library and the bundle target Node 20"
[ -f "$repo/dist/cli/main.js" ] || die "$repo/dist/cli/main.js missing: run 'npm run build' first"
dawn=$repo/node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || die "$dawn missing: run 'npm ci' (the optional dependency webgpu has the linux-x64 Dawn)"
[ -f "$FER_CSV" ] || die "FER_CSV=$FER_CSV: no such file (FER2013's fer2013.csv.gz)"
[ -f "$TORCH_BENCH" ] || die "TORCH_BENCH=$TORCH_BENCH: no such file (the PyTorch yardstick)"
command -v xz >/dev/null || die "xz is missing here (apt-get install xz-utils)"
git -C "$target" rev-parse --git-dir >/dev/null 2>&1 || die "$target is not a git checkout (the device tool sends one)"

# The bundle must be ignored in the checkout that travels, or all of it would travel in every
# command. .gitignore names it; an older checkout gets the same line in its info/exclude.
if ! git -C "$target" check-ignore -q .gpu-bundle/c1; then
  exclude=$(git -C "$target" rev-parse --git-common-dir)/info/exclude
  case $exclude in /*) ;; *) exclude=$target/$exclude ;; esac
  echo "/.gpu-bundle/" >>"$exclude"
  echo "pack.sh: .gpu-bundle/ was not ignored in $target; added to $exclude"
  git -C "$target" check-ignore -q .gpu-bundle/c1 || die "$target still does not ignore .gpu-bundle/"
fi

mkdir -p "$cache"
rm -rf "$bundle"/c[0-9]* "$bundle/app-staging" "$bundle/SIZES.txt"

# --- Node -------------------------------------------------------------------------------
# Stripped (its debug info is 12 MB of nothing at run time), xz with the x86 branch filter:
# 94 MB -> ~20 MiB. It links only glibc >= 2.28, libstdc++ and libgcc_s (checked below), which
# any Debian/Ubuntu with Python has.
node_key=$(sha256sum "$node_bin" | cut -c1-16)
if [ ! -f "$cache/node-$node_key.xz" ]; then
  echo "pack.sh: compressing $node_bin ($("$node_bin" -v)), ~1-2 min"
  strip -o "$cache/node.tmp" "$node_bin"
  nice -n 5 xz --x86 --lzma2=preset=9e -T1 -c "$cache/node.tmp" >"$cache/node-$node_key.xz.tmp"
  mv "$cache/node-$node_key.xz.tmp" "$cache/node-$node_key.xz"
  rm -f "$cache/node.tmp"
fi
missing=$(ldd "$node_bin" "$dawn" | grep 'not found' || true)
[ -z "$missing" ] || die "node or dawn.node miss libraries here: $missing"
echo "pack.sh: node links $(ldd "$node_bin" | awk '/=>/ { print $1 }' | tr '\n' ' ')(max $(objdump -T "$node_bin" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)); dawn.node needs $(objdump -T "$dawn" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"

dawn_key=$(sha256sum "$dawn" | cut -c1-16)
if [ ! -f "$cache/dawn-$dawn_key.xz" ]; then
  echo "pack.sh: compressing dawn.node"
  nice -n 5 xz --x86 --lzma2=preset=9e -T1 -c "$dawn" >"$cache/dawn-$dawn_key.xz.tmp"
  mv "$cache/dawn-$dawn_key.xz.tmp" "$cache/dawn-$dawn_key.xz"
fi

# --- the library and what it loads -------------------------------------------------------
# The packages below are those a traced run of train, bench and export (--backend webgpu)
# loaded (Object.keys(require.cache) at exit). tfjs packages carry only their Node bundle
# (dist/*.node.js, their "main"): the rest are browser builds, ESM and maps, 300 MB.
# @napi-rs/canvas (35 MB, the report's charts) is loaded by the CLI at start but only the
# report draws with it: a stub that says so stands in. The wasm backend and h5wasm are loaded
# only for --backend wasm and .h5 files, neither used there.
app=$bundle/app-staging/app
mkdir -p "$app/node_modules"
cp -r "$repo/dist" "$app/dist"
find "$app/dist" \( -name '*.d.ts' -o -name '*.map' \) -delete
cp "$repo/package.json" "$app/"
mkdir -p "$app/gpu"
cp "$here/adapter.js" "$here/ferpack.js" "$app/gpu/"
nm=$repo/node_modules
for p in tfjs tfjs-core tfjs-layers tfjs-converter tfjs-data tfjs-backend-cpu tfjs-backend-webgl tfjs-backend-webgpu; do
  mkdir -p "$app/node_modules/@tensorflow/$p/dist"
  cp "$nm/@tensorflow/$p/package.json" "$app/node_modules/@tensorflow/$p/"
  cp "$nm/@tensorflow/$p"/dist/*.node.js "$app/node_modules/@tensorflow/$p/dist/"
done
for p in @petamoriken/float16 cli-progress commander jpeg-js long papaparse pngjs seedrandom string-width strip-ansi ansi-regex emoji-regex is-fullwidth-code-point; do
  [ -d "$nm/$p" ] || die "$nm/$p missing: run 'npm ci'"
  mkdir -p "$app/node_modules/$(dirname "$p")"
  cp -r "$nm/$p" "$app/node_modules/$p"
done
mkdir -p "$app/node_modules/webgpu/dist/linux-x64"
cp "$nm/webgpu/package.json" "$nm/webgpu/index.js" "$app/node_modules/webgpu/"
mkdir -p "$app/node_modules/@napi-rs/canvas"
cat >"$app/node_modules/@napi-rs/canvas/package.json" <<'EOF'
{ "name": "@napi-rs/canvas", "version": "0.0.0-gpu-bundle-stub", "main": "index.js" }
EOF
cat >"$app/node_modules/@napi-rs/canvas/index.js" <<'EOF'
// Stand-in carried to the GPU machine: the CLI loads the canvas at start, only `facial report`
// draws with it, and the real one (35 MB) does not fit what travels. Make reports at home.
const no = (name) => () => {
  throw new Error(`@napi-rs/canvas.${String(name)}: not carried to the GPU machine (scripts/gpu/pack.sh); make reports at home`);
};
module.exports = new Proxy({}, { get: (_, k) => (k === '__esModule' || k === 'then' || typeof k === 'symbol' ? undefined : no(k)) });
EOF
find "$app/node_modules" \( -name '*.map' -o -name '*.d.ts' -o -name '*.md' -o -name '*.markdown' \) -delete
# A load test without Dawn: the CLI starts (every subcommand's module loads) from the pruned tree.
(cd "$bundle/app-staging" && env -i PATH=/nonexistent "$node_bin" app/dist/cli/main.js --help >/dev/null) ||
  die "the pruned app does not load (a package missing from the lists above?)"
tar -C "$bundle/app-staging" -cf - app | nice -n 5 xz -9e -T1 >"$cache/app.tar.xz"

# --- Vulkan loader debs (device/README.md's recipe, amd64 whatever this machine is) --------
debs=$cache/debs
if ! ls "$debs"/libvulkan1_*.deb >/dev/null 2>&1; then
  echo "pack.sh: downloading Debian's Vulkan/GL loader debs"
  mkdir -p "$debs" /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd "$debs" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

# --- FER2013 -------------------------------------------------------------------------------
# Chunks of 1024 rows (~1.5 MiB each after xz), so the split between commands wastes little.
data_key=$( (sha256sum "$FER_CSV" "$here/ferpack.js" | cut -c1-64) | sha256sum | cut -c1-16)
data=$cache/fer-$data_key
if [ ! -f "$data/done" ]; then
  echo "pack.sh: packing $FER_CSV (Training + PublicTest), ~2 min"
  rm -rf "$data"
  nice -n 5 "$node_bin" "$here/ferpack.js" encode --csv "$FER_CSV" --out "$data"
  find "$data" -name 'fer-*.bin' -print0 | nice -n 5 xargs -0 -P2 -n1 xz -9 -T1 -f
  touch "$data/done"
fi
# Older packings' Node and faces (another node binary, another ferpack.js) are of no more use.
find "$cache" -maxdepth 1 \( -name 'node-*.xz' ! -name "node-$node_key.xz" -o -name 'dawn-*.xz' ! -name "dawn-$dawn_key.xz" \
  -o -name 'fer-*' ! -name "fer-$data_key" \) -exec rm -rf {} +

# --- the split -------------------------------------------------------------------------------
# What travels besides the carry: tracked files as they are on disk, untracked ones git does
# not ignore, and a shared/ folder inside the checkout.
tree=$(cd "$target" && { git ls-files -z; git ls-files -z --others --exclude-standard; } | (xargs -0 -r stat -c %s 2>/dev/null || true) | awk '{ s += $1 } END { print s + 0 }')
if [ -d "$target/shared" ]; then tree=$((tree + $(du -sb "$target/shared" | cut -f1))); fi
margin=$(awk -v m="$MARGIN_MIB" 'BEGIN { printf "%d", m * 1048576 }')
cap=$((LIMIT - tree - margin))
[ "$cap" -gt 0 ] || die "$target alone is $(mib "$tree"): nothing fits beside it in 64 MiB"

part=1
dir=$bundle/c1
mkdir -p "$dir"
cp "$cache/node-$node_key.xz" "$dir/node.xz"
cp "$cache/dawn-$dawn_key.xz" "$dir/dawn.node.xz"
cp "$cache/app.tar.xz" "$dir/"
mkdir -p "$dir/debs"
cp "$debs"/*.deb "$dir/debs/"
cp "$TORCH_BENCH" "$dir/torch_resnet50.py"
cp "$here/remote.sh" "$data/fer-manifest.json" "$dir/"
[ "$(dir_size "$dir")" -lt "$cap" ] || die "the base alone ($(mib "$(dir_size "$dir")")) does not fit beside $target ($(mib "$tree"))"
for chunk in "$data"/fer-*.bin.xz; do
  used=$(dir_size "$dir")
  if [ $((used + $(size "$chunk"))) -gt "$cap" ]; then
    part=$((part + 1))
    dir=$bundle/c$part
    mkdir -p "$dir"
    cp "$here/remote.sh" "$data/fer-manifest.json" "$dir/"
  fi
  cp "$chunk" "$dir/"
done

{
  echo "GPU bundle for $target, packed $(date -u +%FT%TZ)"
  echo "checkout that travels with every command: $(mib "$tree"); limit 64 MiB; margin $(mib "$margin")"
  echo "node $("$node_bin" -v) $(mib "$(size "$bundle/c1/node.xz")"), dawn.node $(mib "$(size "$bundle/c1/dawn.node.xz")"), app $(mib "$(size "$bundle/c1/app.tar.xz")"), debs $(mib "$(size "$bundle"/c1/debs/*.deb)")"
  echo "faces: $(mib "$(size "$data"/fer-*.bin.xz)") in $(ls "$data"/fer-*.bin.xz | wc -l) chunks ($(grep -o '"rows": [0-9]*' "$data/fer-manifest.json" | head -1))"
  for d in "$bundle"/c[0-9]*; do
    s=$(dir_size "$d")
    echo "$(basename "$d"): $(mib "$s") carried, $(ls "$d"/fer-*.bin.xz 2>/dev/null | wc -l) face chunks; with the checkout $(mib $((s + tree))) of 64 MiB"
  done
} | tee "$bundle/SIZES.txt"
[ "$part" -le 2 ] || echo "pack.sh: WARNING: the data needs $part commands, not 2: run command 'stage' with .gpu-bundle/c2 ... c$((part - 1)) before 'train' with c$part (README, GPU machine)" >&2
rm -rf "$bundle/app-staging"
