#!/usr/bin/env bash
# gpu-bench.sh — the GL/CUDA benchmarks for the day a GPU machine is lent (it has no .NET and no GL loaders).
#
#   scripts/gpu-bench.sh prepare   here: a self-contained linux-x64 publish of cli (rr) packed into .publish/, the EGL/GL
#                                  loader debs (libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2) into .gl/ (both
#                                  ignored by git), then prints the exact device-run call.
#   scripts/gpu-bench.sh device    there: unpacks the loaders into / and rr into /tmp, then writes JSON into $OUT:
#                                  rr bench --backend gl at depths $DEPTHS, rr bench-ops --backend gl per depth in
#                                  $OPS_DEPTHS, rr bench-host on gl and ort-cpu, and rr bench --backend ort-cuda where the CUDA EP loads (else the reason).
#   scripts/gpu-bench.sh dry-run   here, on llvmpipe: device mode without touching / (no loaders), tiny depth list and
#                                  size, into out/gpu-bench-dry/. Proves the script and the publish before a lease.
#
# It also runs the real-time host harness (rr bench-host: a 60 Hz loop of HOST_FRAMES frames) on gl and ort-cpu.
# ort-cuda: this publish carries the CPU build of ONNX Runtime (the CUDA
# build, -p:RrCuda=true, is hundreds of MB, over the 64 MiB a device call may carry), so the ort-cuda line records why it
# did not load unless the machine provides a CUDA-enabled libonnxruntime.
# Knobs (environment): DEPTHS (18,34,50,101,152), OPS_DEPTHS (18,50), SIZE (224), FRAMES (100), OPS_FRAMES (20), HOST_FRAMES (600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PUB="$ROOT/.publish"
GLDIR="$ROOT/.gl"
ARCHIVE="$PUB/rr-linux-x64.tar.xz"
LOADERS=(libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
say() { printf 'gpu-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

prepare() {
  command -v dotnet >/dev/null || die "prepare needs the .NET SDK (here, not on the GPU machine)"
  local tmp; tmp="$(mktemp -d)"
  say "publishing cli self-contained for linux-x64…"
  dotnet publish "$ROOT/cli/ResNetRealtime.Cli.csproj" -c Release -r linux-x64 --self-contained true -o "$tmp/rr" -nologo -v q -clp:ErrorsOnly \
    || die "dotnet publish failed"
  [ -x "$tmp/rr/rr" ] || die "the publish has no rr executable in $tmp/rr"
  # TorchSharp's natives (libtorch, ~500 MB: bench-train's engine) load only when training; bench and bench-ops never do,
  # and a device call carries at most 64 MiB.
  find "$tmp/rr" -maxdepth 1 \( -name 'libtorch*' -o -name 'libc10*' -o -name 'libLibTorchSharp*' -o -name 'libshm*' -o -name 'libgomp*' \
       -o -name 'libbackend_with_compiler*' -o -name 'libjitbackend_test*' -o -name 'libnnapi_backend*' \) -delete
  mkdir -p "$PUB"
  XZ_OPT="-6 -T0" tar -C "$tmp" -cJf "$ARCHIVE" rr
  rm -rf "$tmp"
  say "packed $(du -h "$ARCHIVE" | cut -f1) into ${ARCHIVE#$ROOT/}"
  mkdir -p "$GLDIR" /tmp/amd64/partial
  local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq || die "apt-get update for the amd64 lists failed"
  (cd "$GLDIR" && rm -f ./*.deb && apt-get "${o[@]}" download "${LOADERS[@]}") || die "apt-get download ${LOADERS[*]} failed"
  local total; total="$(du -cm "$ARCHIVE" "$GLDIR"/*.deb | tail -1 | cut -f1)"
  [ "$total" -lt 60 ] || say "warning: ${total} MiB to carry, near the 64 MiB limit of a device call"
  cat <<EOT
gpu-bench: ready (${total} MiB to carry). On the day a GPU is lent, one call (about 6 minutes of device time):
  run(command="scripts/gpu-bench.sh device 2>&1 | tee \$OUT/log.txt", carry=[".publish", ".gl"], timeout_s=540)
EOT
}

# Runs one step, keeping going when it fails: its output goes to the log, its exit status to the summary.
step() {
  local name="$1"; shift
  say "== $name: $*"
  local rc=0
  timeout "${STEP_TIMEOUT:-400}" "$@" || rc=$?
  printf '%s\trc=%s\t%s\n' "$name" "$rc" "$*" >> "$OUT/summary.tsv"
  return 0
}

run_benches() {
  local rr="$1"
  : > "$OUT/summary.tsv"
  step gl-info "$rr" bench-ops --backend gl --model resnet18 --size 32 --frames 1 --warmup 0
  step bench-gl "$rr" bench --backend gl --depths "${DEPTHS:-18,34,50,101,152}" --size "${SIZE:-224}" --frames "${FRAMES:-100}" --json "$OUT/bench-gl.json"
  local d
  for d in ${OPS_DEPTHS//,/ }; do
    step "ops-gl-$d" "$rr" bench-ops --backend gl --model "resnet$d" --size "${SIZE:-224}" --frames "${OPS_FRAMES:-20}" --json "$OUT/ops-gl-resnet$d.json"
  done
  step bench-ort-cuda "$rr" bench --backend ort-cuda --depths "${DEPTHS:-18,34,50,101,152}" --size "${SIZE:-224}" --frames "${FRAMES:-100}" --json "$OUT/bench-ort-cuda.json"
  step host-gl "$rr" bench-host --backend gl --model "$ROOT/models/scene-resnet.onnx" --frames "${HOST_FRAMES:-600}" --json "$OUT/host-gl.json"
  # The ort-cpu reference prints only (into the log): a device call brings back at most 8 files.
  step host-cpu "$rr" bench-host --backend ort-cpu --model "$ROOT/models/scene-resnet.onnx" --frames "${HOST_FRAMES:-600}"
  cat "$OUT/summary.tsv" >&2
}

device() {
  [ -n "${OUT:-}" ] || die "OUT is not set (the device machine sets it)"
  [ -f "$ARCHIVE" ] || die "no ${ARCHIVE#$ROOT/}: run scripts/gpu-bench.sh prepare here first, and carry .publish"
  ls "$GLDIR"/*.deb >/dev/null 2>&1 || die "no loader debs in .gl/: run prepare here first, and carry .gl"
  local f
  for f in "$GLDIR"/*.deb; do dpkg -x "$f" /; done
  ldconfig
  # Where glvnd finds no vendor file on its own, NVIDIA's is here on these machines.
  [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.csv" 2>&1 || true
  rm -rf /tmp/rr && tar -C /tmp -xJf "$ARCHIVE"
  OPS_DEPTHS="${OPS_DEPTHS:-18,50}" run_benches /tmp/rr/rr
}

dry_run() {
  [ -f "$ARCHIVE" ] || die "no ${ARCHIVE#$ROOT/}: run scripts/gpu-bench.sh prepare first"
  export OUT="$ROOT/out/gpu-bench-dry"
  rm -rf "$OUT" && mkdir -p "$OUT"
  local tmp; tmp="$(mktemp -d)"
  tar -C "$tmp" -xJf "$ARCHIVE"
  DEPTHS="${DEPTHS:-18}" OPS_DEPTHS="${OPS_DEPTHS:-18}" SIZE="${SIZE:-64}" FRAMES="${FRAMES:-5}" OPS_FRAMES="${OPS_FRAMES:-2}" HOST_FRAMES="${HOST_FRAMES:-30}" run_benches "$tmp/rr/rr"
  rm -rf "$tmp"
  say "dry run done: $(ls "$OUT" | tr '\n' ' ')"
}

case "${1:-}" in
  prepare) prepare ;;
  device) device ;;
  dry-run) dry_run ;;
  *) die "usage: scripts/gpu-bench.sh prepare|device|dry-run" ;;
esac
