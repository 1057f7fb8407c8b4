#!/usr/bin/env bash
# What fine-tuning layer4 would buy teach mode (issue 10's 90% goal; teach mode itself keeps the backbone frozen).
# From a live recording (the teach-seeds experiment's cache, TMP/rr-teach-seeds/liveS: the frames `rr demo --seed S` shows),
# it splits --auto-teach 20's replay: the taught frames (the first 20 of each class, as the teach-seeds experiment
# picks them) to train on, every frame after the last taught one to score; then rr train with one recipe and
# wall-time budget: only a new fc on layer4's average (frozen, the nearest rr train row to teach mode's head) and
# layer4 + fc fine-tuned (stem..layer3 frozen) at 0.1x and 1x the rate; rr eval scores each. rr train's resnet18
# has no place for the CNTK graph's layer4.2 (PretrainedLoader drops it, and says so), unlike teach mode's backbone.
# Usage: tests/scripts/teach_finetune.sh LIVE_DIR [OUT_DIR]   (env: BUDGET seconds per run, 300; THREADS, 2)
# Run from the repository root after a build (it calls ./rr with RR_SKIP_BUILD=1).
set -euo pipefail
LIVE=$1
OUT=${2:-out/teach-finetune}
BUDGET=${BUDGET:-300}
THREADS=${THREADS:-2}
export RR_SKIP_BUILD=1
mkdir -p "$OUT/split/test"
python3 - "$LIVE" "$OUT/split" <<'PY'
import json, sys, os
live, out = sys.argv[1], sys.argv[2]
info = json.load(open(os.path.join(live, "info.json")))
rec = 1 + info["width"] * info["height"] * 3
data = open(os.path.join(live, "frames.bin"), "rb").read()
frames = [data[i * rec:(i + 1) * rec] for i in range(info["count"])]
k, n = len(info["classes"]), 20
seen, taught = [0] * k, []
for i, f in enumerate(frames):              # --auto-teach N: a frame is taught while its class has < N taught
    if min(seen) >= n: break
    if seen[f[0]] < n: seen[f[0]] += 1; taught.append(i)
scored = list(range(taught[-1] + 1, len(frames)))
for d, idx in ((out, taught), (os.path.join(out, "test"), scored)):
    open(os.path.join(d, "frames.bin"), "wb").write(b"".join(frames[i] for i in idx))
    json.dump(dict(info, count=len(idx)), open(os.path.join(d, "info.json"), "w"), indent=2)
print(f"{len(taught)} taught frames (last {taught[-1]}), {len(scored)} scored", file=sys.stderr)
PY
RECIPE=(--model resnet18 --size 224 --optimizer adam --lr 0.001 --schedule none --batch 32 --epochs 1000
        --seed 1 --threads "$THREADS" --time-budget "$BUDGET")
# NAME:FREEZE[:LR_SCALE] (layer4's learning rate, relative to the fc's; rr train's default is 0.1) — a run whose
# eval.json exists is not redone.
for row in "fc:stem,layer1,layer2,layer3,layer4" "layer4@0.1+fc:stem,layer1,layer2,layer3:0.1" "layer4@1+fc:stem,layer1,layer2,layer3:1"; do
  IFS=: read -r name freeze scale <<< "$row"; dir="$OUT/runs/$name"
  extra=(); [ -n "$scale" ] && extra=(--pretrained-lr-scale "$scale")
  if [ ! -f "$dir/eval.json" ]; then
    rm -rf "$dir"; mkdir -p "$OUT/runs"
    ./rr train --data "frames:$OUT/split" "${RECIPE[@]}" --init-from pretrained:resnet18 --freeze "$freeze" "${extra[@]}" --out "$dir" \
      2>&1 | tr '\r' '\n' | grep -v '^ *$' > "$OUT/runs/$name.log" || { tail -5 "$OUT/runs/$name.log" >&2; exit 1; }
    ./rr eval --model "$dir/model.onnx" --data "frames:$OUT/split" --json "$dir/eval.json" > "$dir/eval.txt"
  fi
  python3 -c 'import json,sys; e=json.load(open(sys.argv[2])); print("%s: %.1f%% of the %d frames after teaching" % (sys.argv[1], 100 * e["accuracy"], e["images"]))' "$name" "$dir/eval.json"
done
