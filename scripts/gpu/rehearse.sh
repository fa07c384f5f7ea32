#!/usr/bin/env bash
# The GPU round trip rehearsed on this machine's software Vulkan (Mesa's lavapipe), with a tiny
# budget: pack, then the device tool's two commands in an empty folder with no system Node on
# PATH, what comes back checked against the tool's limits, and `facial verify` on the model.
#
#   scripts/gpu/rehearse.sh [WORKDIR]      (default /tmp/facial-gpu-rehearsal; emptied first)
#
# Needs: what pack.sh needs, and lavapipe (mesa-vulkan-drivers >= 24: .ci/run installs it).
# Takes ~10 min on 2 cores (pack's first run ~3 min of it). Runs niced.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${1:-/tmp/facial-gpu-rehearsal}
lvp=${LVP_ICD:-/usr/share/vulkan/icd.d/lvp_icd.json}
[ -f "$lvp" ] || { echo "rehearse.sh: $lvp missing: install Mesa >= 24's lavapipe (apt-get install -t bookworm-backports mesa-vulkan-drivers)" >&2; exit 1; }
t0=$(date +%s)
step() { echo; echo "=== [+$(($(date +%s) - t0))s] $*"; }

rm -rf "$work"
mkdir -p "$work"

step "pack (scripts/gpu/pack.sh $repo)"
nice -n 5 "$here/pack.sh" "$repo"

# A bare PATH: the tools remote.sh uses, and neither node nor xz (so the far side's python3
# fallback for .xz is what runs here). python3 is the real interpreter, not a pyenv shim.
bare=$work/bare-bin
mkdir -p "$bare"
for t in bash sh env tar dpkg dpkg-deb ldd sha256sum cat cp mv rm mkdir ls ln chmod date timeout tee grep sed awk cut head tail wc sort find basename dirname stat tr uname nice; do
  ln -s "$(command -v "$t")" "$bare/$t"
done
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$bare/python3"
if env -i PATH="$bare" bash -c 'command -v node || command -v xz' >/dev/null; then
  echo "rehearse.sh: the bare PATH has node or xz" >&2
  exit 1
fi

# The device tool's side: a copy of the checkout (its tracked files; the far side reads only the
# carried part) with .gpu-bundle/cN as `carry` brings it, $OUT empty before each command.
far=$work/far
mkdir -p "$far/repo/.gpu-bundle"
carry() { cp -r "$repo/.gpu-bundle/$1" "$far/repo/.gpu-bundle/$1"; }
far_env=(env -i PATH="$bare" FACIAL_GPU_HOME="$far/tmp/facial-gpu" VULKAN_DEBS_ROOT="$far/vkroot" VK_DRIVER_FILES="$lvp")
run_far() { # OUT-name part mode [VAR=value...]
  local out=$work/$1 p=$2 m=$3
  shift 3
  rm -rf "$out"
  mkdir -p "$out"
  (cd "$far/repo" && nice -n 5 "${far_env[@]}" OUT="$out" "$@" bash ".gpu-bundle/$p/remote.sh" "$m")
}
# What comes back: at most 8 files, 16 MiB each, 2 folders down, plain names.
check_back() {
  local out=$work/$1 n
  n=$(find "$out" -type f | wc -l)
  [ "$n" -le 8 ] || { echo "rehearse.sh: $1 holds $n files; only 8 come back" >&2; return 1; }
  find "$out" -type f -size +16M | grep . && { echo "rehearse.sh: files over 16 MiB in $1" >&2; return 1; }
  find "$out" -mindepth 3 -type f | grep . && { echo "rehearse.sh: files too deep in $1" >&2; return 1; }
  find "$out" | sed "s|^$out||" | grep '[^A-Za-z0-9._/-]' && { echo "rehearse.sh: odd names in $1" >&2; return 1; }
  (cd "$out" && find . -type f -printf '%p %s bytes\n' | sort)
}

step "command 1 WITHOUT ALLOW_CPU_ADAPTER: must stop at the adapter check (exit 3)"
carry c1
s=$(date +%s)
rc=0
run_far out1-refused c1 bench || rc=$?
echo "exit $rc after $(($(date +%s) - s)) s (staging Node and the library included)"
[ "$rc" -eq 3 ] || { echo "rehearse.sh: expected exit 3" >&2; exit 1; }
s=$(date +%s)
rc=0
run_far out1-refused c1 bench || rc=$?
echo "again, already staged: exit $rc after $(($(date +%s) - s)) s"

step "command 1 with ALLOW_CPU_ADAPTER=1: adapter, bench one step (lavapipe: batch 2)"
run_far out1 c1 bench ALLOW_CPU_ADAPTER=1 BENCH_CASES=resnet50-anysize:2 BENCH_STEPS=1
check_back out1

step "command 2 on a machine that went cold: must stop in seconds (exit 2)"
rm -rf "$work/cold"
mkdir -p "$work/cold/.gpu-bundle"
cp -r "$repo/.gpu-bundle/c2" "$work/cold/.gpu-bundle/"
s=$(date +%s)
rc=0
(cd "$work/cold" && "${far_env[@]}" FACIAL_GPU_HOME="$work/cold/tmp" OUT="$work/out-cold" bash .gpu-bundle/c2/remote.sh train) || rc=$?
echo "exit $rc after $(($(date +%s) - s)) s"
[ "$rc" -eq 2 ] || { echo "rehearse.sh: expected exit 2" >&2; exit 1; }
step "the cold machine's fix: command 1 again with SKIP_BENCH=1 stages part 1 and checks the adapter only"
cp -r "$repo/.gpu-bundle/c1" "$work/cold/.gpu-bundle/"
s=$(date +%s)
(cd "$work/cold" && "${far_env[@]}" FACIAL_GPU_HOME="$work/cold/tmp" OUT="$work/out-cold" ALLOW_CPU_ADAPTER=1 SKIP_BENCH=1 bash .gpu-bundle/c1/remote.sh bench)
echo "exit 0 after $(($(date +%s) - s)) s"

step "command 2 with ALLOW_CPU_ADAPTER=1: faces part 2, train a few batches (--limit 8, batch 4), export"
for p in "$repo"/.gpu-bundle/c[0-9]*; do [ "$(basename "$p")" = c1 ] || carry "$(basename "$p")"; done
last=$(basename "$(ls -d "$repo"/.gpu-bundle/c[0-9]* | sort -V | tail -1)")
run_far out2 "$last" train ALLOW_CPU_ADAPTER=1 TRAIN_LIMIT=8 TRAIN_BATCH=4 TRAIN_EPOCHS=1 TRAIN_MINUTES=5 TRAIN_WARMUP=1
check_back out2

step "back here: facial verify on the model that came back (system Node, default backend)"
back=$work/back
rm -rf "$back"
cp -r "$work/out2" "$back"
(cd "$repo" && nice -n 5 node dist/cli/main.js verify --model_weights "$back/model" --data data/fer2013-sample.csv.gz)

step "done in $(($(date +%s) - t0)) s"
cat "$repo/.gpu-bundle/SIZES.txt"
