#!/usr/bin/env bash
# The Windows build under Wine next to the Linux build on this machine, interleaved (issue 23's closing figures):
#   - the self-check's cost: `rr infer --backend gl` (llvmpipe: EGL on Linux, Wine's WGL under Xvfb) prints it; under
#     Wine also the wall time of `--backend ort-dml` (vkd3d on lavapipe: refused by the self-check) against ort-cpu;
#   - the headless demo (60 lock-step frames of the scene) on ort-cpu and gl: fps and accuracy;
#   - `rr bench --depths 18 --size 64` on ort-cpu and gl: total p50.
# Each measurement alternates Linux and Wine ROUNDS times (the order flips every round); the table holds medians.
#
#   flock /tmp/rr-heavy.lock scripts/wine-vs-linux.sh [ROUNDS]        (default 3; about 2 minutes a round on 2 cores)
#
# Uses cli/bin/Release/net10.0/rr.dll (./rr builds it) and publishes cli for win-x64 from a copy of the sources (the
# repository's obj/ stays as it is) unless RR_WIN_PUB names such a publish. Needs wine, wine64, xvfb and
# mesa-vulkan-drivers (./rr test installs them). A fresh Wine prefix; never WINEDLLOVERRIDES=mscoree= (breaks .NET).
set -euo pipefail
ROUNDS="${1:-3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d /tmp/rr-wine-vs-linux-XXXXXX)"
trap 'WINEPREFIX="$WORK/prefix" wineserver -k 2>/dev/null || true; rm -rf "$WORK"' EXIT
LINUX_DLL="$ROOT/cli/bin/Release/net10.0/rr.dll"
MODEL="$ROOT/models/scene-resnet.onnx"
[ -f "$LINUX_DLL" ] || { echo "wine-vs-linux: $LINUX_DLL is missing: run ./rr --help once to build it" >&2; exit 2; }
for t in wine wineserver xvfb-run python3; do command -v $t >/dev/null || { echo "wine-vs-linux: $t is not installed (./rr test installs wine, wine64, xvfb)" >&2; exit 2; }; done

PUB="${RR_WIN_PUB:-}"
if [ -z "$PUB" ]; then
  mkdir -p "$WORK/src"
  ( cd "$ROOT" && tar --exclude=bin --exclude=obj -cf - runtime tools training demo cli shaders Directory.Build.props Directory.Build.targets ) | tar -xf - -C "$WORK/src"
  t0=$(date +%s)
  timeout 900 dotnet publish "$WORK/src/cli/ResNetRealtime.Cli.csproj" -c Release -r win-x64 --self-contained true -o "$WORK/pub" -nologo -v q -clp:ErrorsOnly >&2
  echo "published cli for win-x64 in $(( $(date +%s) - t0 )) s" >&2
  PUB="$WORK/pub"
fi
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
export WINEPREFIX="$WORK/prefix" WINEDEBUG=-all
env -u DISPLAY -u WAYLAND_DISPLAY timeout 300 wine wineboot --init >/dev/null 2>&1; wineserver -w
python3 - "$WORK/probe.npy" <<'PY'
import struct, math, sys
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }"
hdr += ' ' * (64 - (10 + len(hdr) + 1) % 64) + '\n'
open(sys.argv[1], 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode()
    + b''.join(struct.pack('<f', math.sin(i * 0.37) * 1.5) for i in range(3 * 64 * 64)))
PY

# rr SIDE NAME ARGS: one run on SIDE (linux | wine), under Xvfb on both sides (the same X server kind for gl), in WORK;
# output to WORK/NAME.log; appends "NAME SIDE wall_seconds rc" to WORK/walls.
rr() {
  local side=$1 name=$2; shift 2
  local cmd=(dotnet "$LINUX_DLL"); [ "$side" = wine ] && cmd=(wine "$PUB/rr.exe")
  local t0 rc=0; t0=$(date +%s.%N)
  ( cd "$WORK" && timeout 400 xvfb-run -a -s "-screen 0 640x480x24" "${cmd[@]}" "$@" >"$WORK/$name.log" 2>&1 ) || rc=$?
  echo "$name $side $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }') $rc" >>"$WORK/walls"
  [ "$side" = wine ] && wineserver -w
  return 0
}
# rec KEY SIDE VALUE: one sample of a figure.
rec() { echo "$1 $2 $3" >>"$WORK/samples"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2" 2>/dev/null || echo nan; }

for r in $(seq 1 "$ROUNDS"); do
  sides="linux wine"; [ $((r % 2)) = 0 ] && sides="wine linux"
  for s in $sides; do
    n="sc-gl-$s-$r"; rr $s $n infer --model "$MODEL" --input probe.npy --backend gl
    ms=$(tr -d '\r' <"$WORK/$n.log" | sed -n 's/^self-check: gl agrees.*; \([0-9.]*\) ms, of which the ort-cpu reference \([0-9.]*\) ms.*/\1 \2/p')
    rec "self-check gl: total ms" $s "${ms% *}"; rec "self-check gl: ort-cpu reference ms" $s "${ms#* }"
    if [ $s = wine ]; then
      rr wine "cpu-$r" infer --model "$MODEL" --input probe.npy --backend ort-cpu
      rr wine "dml-$r" infer --model "$MODEL" --input probe.npy --backend ort-dml
      rec "infer ort-cpu: process wall s" wine "$(awk -v n="cpu-$r" '$1 == n { print $3 }' "$WORK/walls")"
      rec "infer ort-dml (refused): process wall s" wine "$(awk -v n="dml-$r" '$1 == n { print $3 }' "$WORK/walls")"
    fi
    for b in ort-cpu gl; do
      n="demo-$b-$s-$r"; rr $s $n demo --headless --frames 60 --backend $b --model "$MODEL" --out "$n"
      rec "demo $b: fps" $s "$(json "$WORK/$n/frames.json" 'round(d["summary"]["fps"], 2)')"
      rec "demo $b: accuracy" $s "$(json "$WORK/$n/frames.json" 'd["summary"]["accuracy"]')"
      n="bench-$b-$s-$r"; rr $s $n bench --backend $b --depths 18 --size 64 --frames 30 --warmup 5 --json "$n.json"
      rec "bench $b ResNet-18 64x64: total p50 ms" $s "$(json "$WORK/$n.json" 'd["runs"][0]["stages"]["total"]["p50"]')"
    done
  done
done
grep -q "ort-dml failed its self-check" "$WORK"/dml-*.log && dml="refused by the self-check" || dml="NOT refused (see below)"

echo "wine-vs-linux: $ROUNDS rounds, $(date -u '+%Y-%m-%d %H:%M UTC'); ISA $(grep -o 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' '); $(nproc) cores; load at the start: $LOAD"
echo "wine $(wine --version 2>/dev/null); gl under Wine: $(tr -d '\r' <"$WORK/demo-gl-wine-1.log" | grep -o 'renderer [^:]*' | head -1); ort-dml under Wine: $dml"
python3 - "$WORK/samples" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    key, side, val = line.rsplit(' ', 2)
    try: v = float(val)
    except ValueError: continue
    if v == v: rows.setdefault(key, {}).setdefault(side, []).append(v)
print("| figure | Linux (median) | Wine (median) | Wine / Linux | samples (Linux; Wine) |")
print("|---|---|---|---|---|")
for key, sides in rows.items():
    l, w = sides.get("linux", []), sides.get("wine", [])
    ml = statistics.median(l) if l else None; mw = statistics.median(w) if w else None
    f = lambda x: "—" if x is None else f"{x:.3g}"
    ratio = f"{mw / ml:.2f}" if ml and mw else "—"
    print(f"| {key} | {f(ml)} | {f(mw)} | {ratio} | {', '.join(f(x) for x in l)}; {', '.join(f(x) for x in w)} |")
PY
bad=$(awk '$4 != 0 && $1 !~ /^dml-/' "$WORK/walls")
[ -z "$bad" ] || { echo "runs that failed (name side seconds rc):"; echo "$bad"; for n in $(echo "$bad" | cut -d' ' -f1); do tail -3 "$WORK/$n.log"; done; exit 1; }
