# Sourced by the tests/wine/check-*.sh scripts: their arguments (PUBLISH_DIR [WORK_DIR]), a fresh Wine prefix
# (RR_WINEPREFIX, else WORK_DIR/prefix; never WINEDLLOVERRIDES=mscoree=, which breaks .NET under Wine), the model, and
# the ok/bad/took lines every script prints.
PUB="$(cd "${1:?usage: $0 PUBLISH_DIR [WORK_DIR]}" && pwd)"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${2:-$(mktemp -d /tmp/rr-wine-XXXXXX)}"
mkdir -p "$WORK"
export WINEPREFIX="${RR_WINEPREFIX:-$WORK/prefix}" WINEDEBUG=-all
MODEL="$ROOT/models/scene-resnet.onnx"
fails=0
ok()   { printf 'ok   %s\n' "$*"; }
bad()  { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
# took NAME START: "time NAME S s", START being $(date +%s.%N) when the step began
took() { awk -v n="$1" -v a="$2" -v b="$(date +%s.%N)" 'BEGIN { printf "time %-18s %6.1f s\n", n, b - a }'; }
