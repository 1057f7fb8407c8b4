#!/usr/bin/env bash
# The native library's figures against the managed build, in one run (docs/benchmarks.md, "Native library"):
#   1. the library: size, and the C host harness's first create and C call cost (tests/Native/c/bench.c);
#   2. the 60 Hz host harness, ort-cpu, 640x480 BGRA, CAM on, N frames: from C over the C ABI (bench.c) and from C#
#      (`rr bench-host`), interleaved for R rounds;
#   3. preprocessing 640x480 -> 3x224x224: the library at its default instruction set and built for x86-64-v3, and the
#      managed build under the JIT on each SIMD path (NativePreprocessTests.PreprocessTimingNativeAgainstManaged).
# Heavy (two NativeAOT publishes, a test build): run it under the shared lock, e.g.
#   flock /tmp/rr-heavy.lock native/bench.sh [ROUNDS=3] [FRAMES=600]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
rounds="${1:-3}"; frames="${2:-600}"
out="$ROOT/out/.native-bench"
mkdir -p "$out"
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'); cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores;" \
     "ISA $(grep -o 'avx512f\|avx2\|fma' /proc/cpuinfo | sort -u | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)"
for isa in default x86-64-v3; do
  args=(); [ "$isa" = default ] || args=(-p:RrNativeIsa="$isa")
  dotnet publish native/ResNetRealtime.Native.csproj -c Release -r linux-x64 -nologo -v q -clp:ErrorsOnly "${args[@]}" -o "$out/$isa" >&2
done
echo "library: libresnet_realtime.so $(stat -c %s "$out/default/libresnet_realtime.so") bytes (default), $(stat -c %s "$out/x86-64-v3/libresnet_realtime.so") bytes (x86-64-v3); libonnxruntime.so $(stat -c %s "$out/default/libonnxruntime.so") bytes"
gcc -std=c11 -O2 -Wall -o "$out/bench" tests/Native/c/bench.c -Inative/include "$out/default/libresnet_realtime.so" -lpthread
dotnet build cli/ResNetRealtime.Cli.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2
dotnet build tests/ResNetRealtime.Tests.csproj -c Release -nologo -v q -clp:ErrorsOnly >&2
model="$ROOT/models/scene-resnet.onnx"
for r in $(seq 1 "$rounds"); do
  echo "round $r"
  timeout 300 "$out/bench" "$model" "$frames"
  timeout 300 dotnet cli/bin/Release/net10.0/rr.dll bench-host --backend ort-cpu --model "$model" --frames "$frames" --threads 2
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
RR_NATIVE_LIB_DIR="$out/default" RR_NATIVE_V3_DIR="$out/x86-64-v3" timeout 900 dotnet test tests/ResNetRealtime.Tests.csproj -c Release --no-build \
  --filter "FullyQualifiedName~PreprocessTimingNativeAgainstManaged" --logger "console;verbosity=detailed" 2>&1 | grep -E '^\s+(preprocess|native|managed)' | sed 's/^ *//' | awk '!seen[$0]++' || true
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
