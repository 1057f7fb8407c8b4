#!/usr/bin/env bash
# The Windows build's self-check, text and ffmpeg under Wine (issue 23): runs rr.exe from a win-x64 self-contained
# publish in a fresh prefix, first without a display, then under Xvfb, and checks what a Windows user must see.
#
#   tests/wine/check-selfcheck.sh PUBLISH_DIR [WORK_DIR]
#
# PUBLISH_DIR: `dotnet publish cli/ResNetRealtime.Cli.csproj -c Release -r win-x64 --self-contained true -o PUBLISH_DIR`
# (it holds rr.exe, the DirectML onnxruntime.dll + DirectML.dll and ffmpeg.exe). Needs wine, wine64, xvfb (xvfb-run),
# ffmpeg (to make the test picture) and, for D3D12 under Xvfb, mesa-vulkan-drivers (lavapipe). Every step has a timeout.
# Prints one "ok"/"FAIL" line per check, a "time NAME S s" line per step, and each run's output under WORK_DIR; exits
# 1 when a check failed. RR_WINEPREFIX names the prefix to make (the caller's fresh one, shared with check-demo-bench.sh).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# run NAME [xvfb] -- ARGS: rr.exe ARGS, stdout+stderr to WORK/NAME.out and .err, exit code to WORK/NAME.rc
run() {
  local name=$1; shift; local display=$1; shift
  # "none" really has no display: `rr test` runs the suite under xvfb-run, and its DISPLAY would reach Wine.
  local pre=(env -u DISPLAY -u WAYLAND_DISPLAY timeout 300)
  [ "$display" = xvfb ] && pre=(timeout 300 xvfb-run -a -s "-screen 0 640x480x24")
  local t0; t0=$(date +%s.%N)
  ( cd "$WORK" && "${pre[@]}" wine "$PUB/rr.exe" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ); echo $? >"$WORK/$name.rc"
  took "$name" "$t0"
  printf '  [%s rc=%s] %s\n' "$name" "$(cat "$WORK/$name.rc")" "$(tr -d '\r' <"$WORK/$name.err" | head -c 400 | tr '\n' '|')"
}
rc() { cat "$WORK/$1.rc"; }

ffmpeg -v error -y -f lavfi -i testsrc2=size=320x180 -frames:v 1 "$WORK/test.png" || { echo "ffmpeg (Linux) is needed to make the test picture"; exit 2; }
python3 - "$WORK/probe.npy" <<'PY'
import struct, math, sys
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }"
hdr += ' ' * (64 - (10 + len(hdr) + 1) % 64) + '\n'
open(sys.argv[1], 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode()
    + b''.join(struct.pack('<f', math.sin(i * 0.37) * 1.5) for i in range(3 * 64 * 64)))
PY
[ -f "$PUB/ffmpeg.exe" ] && ok "ffmpeg.exe ships beside rr.exe" || bad "no ffmpeg.exe in $PUB"

echo "== without a display"
wineserver -k 2>/dev/null; wineserver -w 2>/dev/null
t0=$(date +%s.%N)
env -u DISPLAY -u WAYLAND_DISPLAY timeout 300 wine wineboot --init >"$WORK/wineboot.log" 2>&1; wineserver -w 2>/dev/null
took "prefix ($(du -sm "$WINEPREFIX" 2>/dev/null | cut -f1) MB)" "$t0"
run png none infer --model "$MODEL" --input test.png
topk() { tr -d '\r' <"$1" | grep -E '^ +[0-9]+\. ' | sed 's/ *$//'; }
if [ "$(rc png)" = 0 ] && [ -n "$(topk "$WORK/png.out")" ]; then
  ok "infer on a PNG through the shipped ffmpeg.exe"
  # RR_LINUX="dotnet cli/bin/Release/net10.0/rr.dll" (or ./rr): the same picture on Linux must give the same top-k.
  if [ -n "${RR_LINUX:-}" ]; then
    ( cd "$WORK" && timeout 300 $RR_LINUX infer --model "$MODEL" --input test.png >"$WORK/png-linux.out" 2>&1 )
    diff <(topk "$WORK/png.out" | sed 's/(class [0-9]*, logit [-0-9.]*)//') <(topk "$WORK/png-linux.out" | sed 's/(class [0-9]*, logit [-0-9.]*)//') >/dev/null \
      && ok "the PNG's top-k under Wine equals Linux's" || bad "the PNG's top-k differs from Linux's"
  fi
else bad "infer on a PNG (rc $(rc png))"; fi
# "model: X.onnx — input …": the em dash must be UTF-8 (e2 80 94); a console code page gave byte 0x97.
head -1 "$WORK/png.out" | LC_ALL=C grep -q $'onnx \xe2\x80\x94 input' && ok "the em dash arrives as UTF-8" || bad "the em dash is not UTF-8"
run dml-nodisplay none infer --model "$MODEL" --input probe.npy --backend ort-dml
[ "$(rc dml-nodisplay)" != 0 ] && [ "$(grep -c . "$WORK/dml-nodisplay.err")" -ge 1 ] && grep -q "0x887A0004" "$WORK/dml-nodisplay.err" \
  && ok "ort-dml without a display: one line, the DXGI code whole" || bad "ort-dml without a display"
run debug none infer --model "$MODEL" --input no-such.npy
t0=$(date +%s.%N)
( cd "$WORK" && RR_DEBUG=1 env -u DISPLAY -u WAYLAND_DISPLAY timeout 300 wine "$PUB/rr.exe" infer --model "$MODEL" --input no-such.npy >"$WORK/debug.out" 2>"$WORK/debug.err" ); echo $? >"$WORK/debug.rc"
took debug-stack "$t0"
[ "$(rc debug)" = 1 ] && grep -q "   at " "$WORK/debug.err" && ok "RR_DEBUG=1: stack trace and exit 1" || bad "RR_DEBUG=1 (rc $(rc debug))"

echo "== under Xvfb"
wineserver -w 2>/dev/null   # a wineserver started without DISPLAY must be gone before one under Xvfb
run dml-xvfb xvfb infer --model "$MODEL" --input probe.npy --backend ort-dml
if [ "$(rc dml-xvfb)" = 0 ]; then
  grep -q "self-check: ort-dml agrees with ort-cpu" "$WORK/dml-xvfb.out" && ok "ort-dml under Xvfb agrees with ort-cpu" || bad "ort-dml rc 0 without a passed self-check"
else
  grep -q "ort-dml failed its self-check against ort-cpu.*first diverging tensor" "$WORK/dml-xvfb.err" \
    && ok "ort-dml under Xvfb refused by the self-check" || bad "ort-dml under Xvfb failed without the self-check line"
fi
run auto-xvfb xvfb infer --model "$MODEL" --input probe.npy --backend auto
backend=$(tr -d '\r' <"$WORK/auto-xvfb.out" | sed -n 's/^backend: \([a-z-]*\);.*/\1/p')
if [ "$(rc auto-xvfb)" = 0 ] && { [ "$backend" != ort-dml ] || grep -q "self-check: ort-dml agrees" "$WORK/auto-xvfb.out"; }; then
  ok "auto ends on $backend, which agrees with ort-cpu"
else bad "auto (rc $(rc auto-xvfb), backend '$backend')"; fi
wineserver -w 2>/dev/null
echo "outputs in $WORK"
[ $fails = 0 ]
