#!/usr/bin/env bash
# The Windows build's inference, demo and bench under Wine + Xvfb, each compared with the Linux build (issue 23):
#
#   RR_LINUX="dotnet cli/bin/Release/net10.0/rr.dll" tests/wine/check-demo-bench.sh PUBLISH_DIR [WORK_DIR]
#
# PUBLISH_DIR is a win-x64 self-contained publish of cli (see check-selfcheck.sh). Checks, one "ok"/"FAIL" line each:
#   npy-bit-identical  rr.exe infer --output on a .npy equals the Linux build's output byte for byte (same ORT CPU kernels)
#   demo-ort-cpu       rr.exe demo --headless --frames 60 on ort-cpu: exit 0, screenshots, the same accuracy as Linux
#   demo-gl            the same on gl, through Wine's opengl32 (WGL) on Mesa llvmpipe, against Linux's gl (EGL, llvmpipe)
#   bench-gl           rr.exe bench --backend gl at a small size: exit 0 and a p50 line
# The headless demo is lock-step (every frame gets its own prediction), so its accuracy does not depend on timing and
# must equal Linux's exactly. Every run has a timeout; Wine gets a fresh prefix (RR_WINEPREFIX, else WORK_DIR/prefix)
# and never WINEDLLOVERRIDES=mscoree=. Each run prints a "time NAME S s" line.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
: "${RR_LINUX:?set RR_LINUX to the Linux rr command, e.g. \"dotnet cli/bin/Release/net10.0/rr.dll\"}"
# win NAME ARGS / lin NAME ARGS: run rr.exe under Wine + Xvfb, or the Linux rr, in WORK; output to WORK/NAME.log, rc to NAME.rc
win() { local n=$1 t0; shift; t0=$(date +%s.%N); ( cd "$WORK" && timeout 400 xvfb-run -a -s "-screen 0 640x480x24" wine "$PUB/rr.exe" "$@" >"$n.log" 2>&1 ); echo $? >"$WORK/$n.rc"; took "$n" "$t0"; }
lin() { local n=$1 t0; shift; t0=$(date +%s.%N); ( cd "$WORK" && timeout 400 xvfb-run -a -s "-screen 0 640x480x24" $RR_LINUX "$@" >"$n.log" 2>&1 ); echo $? >"$WORK/$n.rc"; took "$n" "$t0"; }
rc() { cat "$WORK/$1.rc"; }
tail_of() { tr -d '\r' <"$WORK/$1.log" | tail -3 | tr '\n' '|'; }
acc() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["accuracy"])' "$1" 2>/dev/null; }

wineserver -k 2>/dev/null; wineserver -w 2>/dev/null   # no server left from a run without a display
python3 - "$WORK/in.npy" <<'PY'
import struct, math, sys
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }"
hdr += ' ' * (64 - (10 + len(hdr) + 1) % 64) + '\n'
open(sys.argv[1], 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode()
    + b''.join(struct.pack('<f', math.cos(i * 0.11) * 1.2) for i in range(3 * 64 * 64)))
PY
win npy-win infer --model "$MODEL" --input in.npy --backend ort-cpu --output out-win.npy
lin npy-lin infer --model "$MODEL" --input in.npy --backend ort-cpu --output out-lin.npy
if [ "$(rc npy-win)" = 0 ] && [ "$(rc npy-lin)" = 0 ] && cmp -s "$WORK/out-win.npy" "$WORK/out-lin.npy"; then ok "npy-bit-identical"
else bad "npy-bit-identical (rc win $(rc npy-win) lin $(rc npy-lin)): $(tail_of npy-win)"; fi

for b in ort-cpu gl; do
  win "demo-$b-win" demo --headless --frames 60 --backend "$b" --model "$MODEL" --out "demo-$b-win"
  lin "demo-$b-lin" demo --headless --frames 60 --backend "$b" --model "$MODEL" --out "demo-$b-lin"
  aw=$(acc "$WORK/demo-$b-win/frames.json"); al=$(acc "$WORK/demo-$b-lin/frames.json")
  shots=$(ls "$WORK/demo-$b-win"/*.png 2>/dev/null | wc -l)
  if [ "$(rc demo-$b-win)" = 0 ] && [ "$shots" -gt 0 ] && [ -n "$aw" ] && [ "$aw" = "$al" ]; then
    ok "demo-$b (accuracy $aw under Wine and on Linux, $shots screenshots)"
  else bad "demo-$b (rc $(rc demo-$b-win), accuracy Wine '$aw' Linux '$al', $shots screenshots): $(tail_of demo-$b-win)"; fi
done

win bench-gl bench --backend gl --depths 18 --size 32 --frames 5
if [ "$(rc bench-gl)" = 0 ] && tr -d '\r' <"$WORK/bench-gl.log" | grep -q 'p50'; then ok "bench-gl"
else bad "bench-gl (rc $(rc bench-gl)): $(tail_of bench-gl)"; fi
wineserver -w 2>/dev/null
echo "outputs in $WORK"
[ $fails = 0 ]
