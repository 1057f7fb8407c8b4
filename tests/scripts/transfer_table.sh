#!/usr/bin/env bash
# Transfer-learning table (issue 10): pretrained:resnet18 against the same ResNet-18 from random init.
# Rows: scene frames at 10 and 50 examples per class (trained on seed 3, scored on seed 5), Fashion-MNIST
# with 1,000 training images (grey copied to RGB, resized to the model's input), scored on its full test set.
# Columns: frozen backbone + new head | all layers, pretrained ones at 0.1x lr | from scratch.
# Every run has the same recipe and the same wall-time budget (rr train --time-budget); the accuracies are
# rr eval --json's. Usage: tests/scripts/transfer_table.sh [OUT_DIR]   (env: BUDGET seconds per run, 90;
# SIZE input side, 64; THREADS, 2; FM_LIMIT Fashion-MNIST test images scored, 0 = all 10,000).
# Run from the repository root after a build (it calls ./rr with RR_SKIP_BUILD=1).
set -euo pipefail
OUT=${1:-out/transfer}
BUDGET=${BUDGET:-90}
SIZE=${SIZE:-64}
THREADS=${THREADS:-2}
FM_LIMIT=${FM_LIMIT:-0}
export RR_SKIP_BUILD=1
RR=./rr
mkdir -p "$OUT"

# Scene recordings: seed 3 to train on (its every 10th frame is rr train's per-epoch check), seed 5 to score.
[ -f "$OUT/scene3/info.json" ] || $RR demo --record "$OUT/scene3" --frames 1000 --size "$SIZE" --seed 3 >/dev/null
[ -f "$OUT/scene5/info.json" ] || $RR demo --record "$OUT/scene5" --frames 400 --size "$SIZE" --seed 5 >/dev/null

# The one recipe: Adam 1e-3 (constant: a time budget cuts any schedule short), batch 32, default
# augmentation and label smoothing, seed 1, the budget. Adam because one learning rate then suits a new head
# on frozen features, a 0.1x fine-tune and a from-scratch run alike.
RECIPE=(--model resnet18 --size "$SIZE" --optimizer adam --lr 0.001 --schedule none --batch 32 --epochs 1000
        --seed 1 --threads "$THREADS" --time-budget "$BUDGET")
FROZEN=(--init-from pretrained:resnet18 --freeze stem,layer1,layer2,layer3,layer4)
FINETUNE=(--init-from pretrained:resnet18 --pretrained-lr-scale 0.1)
SCRATCH=()

run() {   # NAME TRAIN_DATA EVAL_DATA EVAL_ARGS... -- TRAIN_ARGS...
  local name=$1 data=$2 edata=$3; shift 3
  local eargs=(); while [ "$1" != -- ]; do eargs+=("$1"); shift; done; shift
  local dir="$OUT/runs/$name"
  if [ ! -f "$dir/eval.json" ]; then
    rm -rf "$dir"
    echo "== $name: rr train --data $data ${RECIPE[*]} $*" >&2
    $RR train --data "$data" "${RECIPE[@]}" "$@" --out "$dir" 2>&1 | tr '\r' '\n' | grep -v '^ *$' > "$OUT/runs/$name.log" || { tail -5 "$OUT/runs/$name.log" >&2; exit 1; }
    $RR eval --model "$dir/model.onnx" --data "$edata" "${eargs[@]}" --chart "$dir/confusion.svg" --json "$dir/eval.json" > "$dir/eval.txt"
  fi
  # steps and seconds trained: the budget line of rr train's log ("... (step N, T s): evaluating and exporting")
  local steps; steps=$(grep -o 'step [0-9]*, [0-9.]* s' "$OUT/runs/$name.log" | tail -1 | sed 's/step \([0-9]*\), \([0-9.]*\) s/\1 steps, \2 s/')
  python3 - "$dir/eval.json" "$name" "${steps:-all epochs}" >> "$OUT/cells.tsv" <<'EOF'
import json, sys
e = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}\t{e['accuracy']*100:.1f}\t{e['top_k_accuracy']*100:.1f}\t{e['images']}\t{sys.argv[3]}")
EOF
}

rm -f "$OUT/cells.tsv"; mkdir -p "$OUT/runs"
FMEVAL=(--split test); [ "$FM_LIMIT" = 0 ] || FMEVAL+=(--limit "$FM_LIMIT")
for n in 10 50; do
  for m in frozen finetune scratch; do
    case $m in frozen) a=("${FROZEN[@]}");; finetune) a=("${FINETUNE[@]}");; scratch) a=("${SCRATCH[@]}");; esac
    run "scene$n-$m" "frames:$OUT/scene3" "frames:$OUT/scene5" --split all -- --per-class "$n" "${a[@]}"
  done
done
for m in frozen finetune scratch; do
  case $m in frozen) a=("${FROZEN[@]}");; finetune) a=("${FINETUNE[@]}");; scratch) a=("${SCRATCH[@]}");; esac
  run "fm1k-$m" fashion-mnist fashion-mnist "${FMEVAL[@]}" -- --limit 1000 --channels 3 "${a[@]}"
done

python3 - "$OUT/cells.tsv" "$BUDGET" "$SIZE" > "$OUT/table.md" <<'EOF'
import sys
cells = {l.split("\t")[0]: l.rstrip("\n").split("\t")[1:] for l in open(sys.argv[1])}
rows = [("scene, 10 per class (80 images)", "scene10", "seed-5 recording"),
        ("scene, 50 per class (400 images)", "scene50", "seed-5 recording"),
        ("Fashion-MNIST, 1,000 images", "fm1k", "test split")]
print(f"Top-1 (top-5) accuracy from `rr eval`; ResNet-18 at {sys.argv[3]}x{sys.argv[3]}, {sys.argv[2]} s wall-time budget per run; "
      "each cell: accuracy, images scored, steps trained in the budget.\n")
print("| data | frozen pretrained backbone + new head | all layers, pretrained at 0.1x lr | from scratch (random init) |")
print("|---|---|---|---|")
for title, key, scored in rows:
    out = []
    for m in ("frozen", "finetune", "scratch"):
        acc, top5, n, steps = cells[f"{key}-{m}"]
        out.append(f"**{acc}%** ({top5}%) · {n} imgs · {steps}")
    print(f"| {title}, scored on {scored} | " + " | ".join(out) + " |")
EOF
cat "$OUT/table.md"
