#!/usr/bin/env bash
# The far side of scripts/gpu/pack.sh: runs on the GPU machine (no Node, no npm, no network
# there), from the repository copy the device tool makes, with one part of the bundle carried.
#
#   bash .gpu-bundle/c1/remote.sh bench   # command 1: stage Node + library + faces part 1,
#                                         #   check the adapter, bench, PyTorch yardstick
#   bash .gpu-bundle/c2/remote.sh train   # command 2: faces part 2, check the adapter, train,
#                                         #   export the best model and the log into $OUT
#   bash .gpu-bundle/cN/remote.sh stage   # only stage what this part carries (a third part,
#                                         #   or part 1 again after the machine went cold)
#
# Everything is staged under FACIAL_GPU_HOME (default /tmp/facial-gpu), outside the repository
# copy: a warm machine keeps its disk between commands (only processes and $OUT are cleared), so
# command 2 finds what command 1 unpacked. On a fresh machine command 2 stops in seconds and says
# to run part 1 again (SKIP_BENCH=1) first.
#
# The adapter is checked before anything long: a software adapter (lavapipe, llvmpipe,
# SwiftShader) or none stops the command with exit 3, unless ALLOW_CPU_ADAPTER=1 (the rehearsal
# here, scripts/gpu/rehearse.sh).
#
# Environment (all optional):
#   VULKAN_DEBS_ROOT  where the carried loader debs are unpacked: / (default; device/README.md's
#                     recipe, then ldconfig; skipped when the machine has libvulkan.so.1) or a
#                     scratch prefix that LD_LIBRARY_PATH then points at (the rehearsal)
#   VK_DRIVER_FILES   the Vulkan ICD; default the NVIDIA one when it exists
#   SKIP_BENCH=1      command 1 stages and checks the adapter only
#   BENCH_CASES       "model:batch ..." (default "resnet50-anysize:32 resnet50-anysize:256 resnet50:50")
#   BENCH_STEPS       timed steps per case (default 5); BENCH_CASE_TIMEOUT seconds (default 100);
#                     BENCH_DEADLINE seconds into the command after which nothing runs (default 240)
#   TRAIN_MINUTES (5) TRAIN_BATCH (256) TRAIN_LR (0.001) TRAIN_WARMUP (100 steps)
#   TRAIN_LIMIT       rows per split (rehearsal); TRAIN_EPOCHS caps the epochs
#   PYTHON            the python3 with torch for the yardstick (default python3 on PATH)
set -euo pipefail

t0=$(date +%s)
mode=${1:-}
part=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bundle=$(dirname "$part")
home=${FACIAL_GPU_HOME:-/tmp/facial-gpu}
: "${OUT:?remote.sh: OUT must name the folder whose files come back (the device tool sets it)}"
PY=${PYTHON:-$(command -v python3 || true)}

log() { echo "[remote.sh +$(($(date +%s) - t0))s] $*" >&2; }
die() {
  echo "remote.sh: $1" >&2
  exit "${2:-1}"
}
case $mode in bench | train | stage) ;; *) die "usage: remote.sh bench|train|stage (got '$mode')" ;; esac
mkdir -p "$home" "$OUT"

# xz is usual but not certain on the far side; Python's lzma (standard library) reads the same files.
unxz_to() {
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1" >"$2.tmp"
  elif [ -n "$PY" ]; then
    "$PY" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2.tmp"
  else
    die "neither xz nor python3 here to decompress $1"
  fi
  mv "$2.tmp" "$2"
}

# --- stage Node, the library and Dawn (from whichever part carries them) -------------------
stage_base() {
  local base=
  for d in "$part" "$bundle"/c[0-9]*; do
    if [ -f "$d/node.xz" ]; then
      base=$d
      break
    fi
  done
  if [ -z "$base" ]; then
    [ -x "$home/bin/node" ] && return 0
    die "nothing staged under $home and no part with node.xz here: the machine went cold since command 1. Run command 1 again with SKIP_BENCH=1 (it stages in ~20 s), then this command." 2
  fi
  local key
  key=$(cat "$base/node.xz" "$base/dawn.node.xz" "$base/app.tar.xz" | sha256sum | cut -c1-16)
  if [ "$(cat "$home/base.key" 2>/dev/null)" = "$key" ] && [ -x "$home/bin/node" ]; then
    log "Node and the library already staged under $home"
    return 0
  fi
  rm -rf "${home:?}/bin" "$home/app" "$home/debs" "$home/base.key"
  mkdir -p "$home/bin"
  unxz_to "$base/node.xz" "$home/bin/node"
  chmod +x "$home/bin/node"
  unxz_to "$base/app.tar.xz" "$home/app.tar"
  tar -C "$home" -xf "$home/app.tar"
  rm "$home/app.tar"
  unxz_to "$base/dawn.node.xz" "$home/app/node_modules/webgpu/dist/linux-x64/dawn.node"
  cp -r "$base/debs" "$home/debs"
  cp "$base/torch_resnet50.py" "$home/"
  if command -v ldd >/dev/null 2>&1; then
    local missing
    missing=$(ldd "$home/bin/node" "$home/app/node_modules/webgpu/dist/linux-x64/dawn.node" 2>&1 | grep 'not found' || true)
    [ -z "$missing" ] || die "the carried node or dawn.node lacks system libraries here: $missing"
  fi
  echo "$key" >"$home/base.key"
  log "staged Node $("$home/bin/node" -v) and the library under $home"
}

# --- the faces: each part's chunks, decompressed as they arrive ----------------------------
stage_data() {
  mkdir -p "$home/data"
  local n=0
  for d in "$part" "$bundle"/c[0-9]*; do
    [ -f "$d/fer-manifest.json" ] && cp "$d/fer-manifest.json" "$home/data/"
    for c in "$d"/fer-*.bin.xz; do
      [ -f "$c" ] || continue
      local b
      b=$home/data/$(basename "$c" .xz)
      if [ ! -f "$b" ]; then
        unxz_to "$c" "$b"
        n=$((n + 1))
      fi
    done
  done
  [ -f "$home/data/fer-manifest.json" ] || die "no fer-manifest.json in any carried part"
  local want have
  want=$(grep -c '"file"' "$home/data/fer-manifest.json")
  have=$(find "$home/data" -name 'fer-*.bin' | wc -l)
  log "faces: $n chunks staged now, $have of $want under $home/data"
}

# --- Vulkan: the loader and the GPU's driver ----------------------------------------------
vk_env=()
setup_vulkan() {
  local root=${VULKAN_DEBS_ROOT:-/} ld=
  # The NVIDIA ICD names its library (libGLX_nvidia.so.0) without a path; in CUDA images the
  # driver's libraries are often found through LD_LIBRARY_PATH (/usr/local/nvidia/lib64), not
  # ldconfig. Node runs under env -i, so the machine's LD_LIBRARY_PATH is handed on explicitly.
  for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [ -d "$d" ] && ld=$ld:$d; done
  [ -n "${LD_LIBRARY_PATH:-}" ] && ld=$ld:$LD_LIBRARY_PATH
  if [ "$root" = / ]; then
    if ldconfig -p | grep -q 'libvulkan\.so\.1'; then
      log "the machine has a Vulkan loader: $(ldconfig -p | grep -m1 'libvulkan\.so\.1' | sed 's/.*=> //')"
    else
      for f in "$home"/debs/*.deb; do dpkg -x "$f" /; done
      ldconfig
      log "Vulkan loader unpacked into / from $(cd "$home/debs" && echo *.deb)"
    fi
  else
    mkdir -p "$root"
    for f in "$home"/debs/*.deb; do dpkg -x "$f" "$root"; done
    ld=$root/usr/lib/x86_64-linux-gnu$ld
    log "Vulkan loader unpacked into $root (LD_LIBRARY_PATH)"
  fi
  if [ -n "$ld" ]; then
    vk_env+=("LD_LIBRARY_PATH=${ld#:}")
    log "LD_LIBRARY_PATH=${ld#:}"
  fi
  if [ -z "${VK_DRIVER_FILES:-}" ]; then
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
      if [ -f "$f" ]; then
        VK_DRIVER_FILES=$f
        break
      fi
    done
  fi
  if [ -n "${VK_DRIVER_FILES:-}" ]; then
    vk_env+=("VK_DRIVER_FILES=$VK_DRIVER_FILES")
    log "VK_DRIVER_FILES=$VK_DRIVER_FILES"
  else
    log "no NVIDIA Vulkan ICD found; the loader's default search applies"
  fi
  local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && vk_env+=("__EGL_VENDOR_LIBRARY_FILENAMES=$egl")
  if command -v nvidia-smi >/dev/null 2>&1; then
    log "nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
  fi
  return 0
}

# The carried Node only, with a clean environment: PATH holds nothing but it.
node_cmd=()
make_node_cmd() {
  node_cmd=(env -i PATH="$home/bin" HOME="$home" TMPDIR="$home" LANG=C.UTF-8 "${vk_env[@]}")
  [ -n "${ALLOW_CPU_ADAPTER:-}" ] && node_cmd+=("ALLOW_CPU_ADAPTER=$ALLOW_CPU_ADAPTER")
  node_cmd+=("$home/bin/node")
}
facial=("$home/app/dist/cli/main.js")

check_adapter() {
  local rc=0
  timeout 90 "${node_cmd[@]}" "$home/app/gpu/adapter.js" "$home/app" >"$OUT/adapter.json" || rc=$?
  cat "$OUT/adapter.json"
  [ "$rc" -eq 124 ] && die "the adapter check hung for 90 s (Dawn/driver); nothing else was run" 3
  [ "$rc" -eq 0 ] || die "stopped after the adapter check (exit $rc): see the line above; nothing else was run" 3
  log "adapter checked"
}

bench() {
  local cases=${BENCH_CASES:-resnet50-anysize:32 resnet50-anysize:256 resnet50:50}
  local steps=${BENCH_STEPS:-5} limit=${BENCH_CASE_TIMEOUT:-100} deadline=$((t0 + ${BENCH_DEADLINE:-240})) torch=
  # The session's GPU-machine time is 15 minutes, start-up and training included: no case starts
  # after BENCH_DEADLINE seconds into the command, and none runs past it, so command 1 ends in
  # ~5 minutes whatever the GPU does. Each case runs ours then PyTorch's, so ratios come in pairs.
  if [ -n "$PY" ] && "$PY" -c 'import torch, torchvision, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    torch=1
  else
    log "PyTorch yardstick skipped: no python3 with torch, torchvision and CUDA here"
  fi
  : >"$OUT/bench.jsonl"
  [ -n "$torch" ] && : >"$OUT/torch.jsonl"
  for c in $cases; do
    local m=${c%%:*} b=${c##*:} size=48 s left rc=0
    [ "$m" = resnet50 ] && size=200
    s=$(date +%s)
    left=$((deadline - s))
    if [ "$left" -lt 20 ]; then
      log "bench $m batch $b: skipped, BENCH_DEADLINE reached"
      continue
    fi
    [ "$left" -lt "$limit" ] || left=$limit
    timeout "$left" "${node_cmd[@]}" "${facial[@]}" bench --backend webgpu --json --model "$m" --batch_size "$b" --steps "$steps" \
      >>"$OUT/bench.jsonl" 2>>"$OUT/bench.log" || rc=$?
    log "bench $m ${size}x$size batch $b: exit $rc in $(($(date +%s) - s)) s$([ "$rc" -eq 124 ] && echo ' (timed out)')"
    [ -n "$torch" ] || continue
    s=$(date +%s)
    left=$((deadline - s))
    [ "$left" -ge 20 ] || continue
    [ "$left" -lt 60 ] || left=60
    rc=0
    timeout "$left" "$PY" "$home/torch_resnet50.py" --device cuda --size "$size" --batch "$b" --steps "$steps" >>"$OUT/torch.jsonl" 2>>"$OUT/bench.log" || rc=$?
    log "pytorch ${size}x$size batch $b: exit $rc in $(($(date +%s) - s)) s"
  done
  # One table, ratios from the same command.
  # shellcheck disable=SC2016 # JavaScript, not shell
  "${node_cmd[@]}" -e '
    const fs = require("fs"), [a, b] = process.argv.slice(1);
    const rows = (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
    const ours = rows(a), torch = rows(b);
    console.log("case | webgpu train / predict img/s | pytorch train / predict img/s | ratio train / predict");
    for (const r of ours) {
      const t = torch.find((x) => x.size === r.size && x.batch === r.batch);
      const q = (k) => (t ? (r[k] / t[k]).toFixed(3) : "-");
      console.log(`${r.model} ${r.size}x${r.size} batch ${r.batch} (train ${r.train_batch}) | ${r.train_img_s} / ${r.predict_img_s} | ${t ? t.train_img_s + " / " + t.predict_img_s : "-"} | ${q("train_img_s")} / ${q("predict_img_s")}`);
    }' "$OUT/bench.jsonl" "$OUT/torch.jsonl"
}

train() {
  local want have
  want=$(grep -c '"file"' "$home/data/fer-manifest.json")
  have=$(find "$home/data" -name 'fer-*.bin' | wc -l)
  [ "$have" -eq "$want" ] || die "only $have of $want face chunks are staged under $home/data: the machine went cold, or a part was not carried. Run command 1 again with SKIP_BENCH=1 (and 'stage' for any middle part), then this one." 2
  local csv=$home/fer2013.csv
  if [ ! -f "$csv" ]; then
    "${node_cmd[@]}" "$home/app/gpu/ferpack.js" decode --dir "$home/data" --out "$csv"
  fi
  log "data ready: $csv"
  check_adapter
  local prefix=$home/run/r48 rc=0
  rm -rf "$home/run"
  mkdir -p "$home/run"
  local minutes=${TRAIN_MINUTES:-5}
  # The schedule ends inside --minutes (CosineDecay over the steps the budget allows); the
  # timeout is a backstop so a hung device still leaves time to export the best model so far.
  local backstop
  backstop=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 + 100 }')
  local args=(train --backend webgpu --model resnet50-anysize --image_size 48 --data "$csv"
    --optimizer adam --lr "${TRAIN_LR:-0.001}" --batch_size "${TRAIN_BATCH:-256}" --augment shift-flip
    --schedule cosine --warmup "${TRAIN_WARMUP:-100}" --minutes "$minutes" --monitor val_acc --quantize float16
    --save_prefix "$prefix" --no_eval)
  [ -n "${TRAIN_LIMIT:-}" ] && args+=(--limit "$TRAIN_LIMIT")
  [ -n "${TRAIN_EPOCHS:-}" ] && args+=(--epochs "$TRAIN_EPOCHS")
  log "facial ${args[*]}"
  timeout "$backstop" "${node_cmd[@]}" "${facial[@]}" "${args[@]}" 2>&1 | tee "$OUT/train.log" || rc=$?
  log "train: exit $rc"
  [ -f "$prefix""_log.csv" ] && cp "$prefix""_log.csv" "$OUT/r48_log.csv"
  [ -d "$prefix""_best" ] || die "training left no ${prefix}_best/: nothing to bring back (see train.log)" 4
  # Shards of at most 16 MiB (the files that come back are 16 MiB each at most): ~15 MB x 3.
  "${node_cmd[@]}" "${facial[@]}" export "$prefix""_best" --out "$OUT/model" --quantize float16 --shard_mb 16 --backend cpu
  log "exported the best model (by val_acc) to \$OUT/model"
  [ -f "$OUT/r48_log.csv" ] && cat "$OUT/r48_log.csv"
  return "$rc"
}

stage_base
stage_data
setup_vulkan
make_node_cmd
case $mode in
  stage) ;;
  bench)
    check_adapter
    if [ "${SKIP_BENCH:-}" = 1 ]; then log "SKIP_BENCH=1: staged and checked only"; else bench; fi
    ;;
  train) train ;;
esac
log "done ($mode), $(($(date +%s) - t0)) s in this command; \$OUT holds: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"
