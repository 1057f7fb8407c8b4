#!/usr/bin/env bash
# ./rr pack: the native library as out/resnet-realtime-native-<version>-<rid>.tar.gz (library, the ONNX Runtime natives
# it loads, header, Unity C# binding, licences, one C example) and the runtime's NuGet package beside it.
# NativeAOT builds for the OS it runs on: run it on Windows/macOS for win-x64/osx-arm64 (see docs/native-and-engines.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) rid=linux-x64 ;; Linux-aarch64) rid=linux-arm64 ;;
  Darwin-arm64) rid=osx-arm64 ;; Darwin-x86_64) rid=osx-x64 ;;
  *) echo "rr pack: no NativeAOT target for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' runtime/ResNetRealtime.Runtime.csproj | head -1)"
[ -n "$version" ] || { echo "rr pack: no <Version> in runtime/ResNetRealtime.Runtime.csproj" >&2; exit 1; }
name="resnet-realtime-native-$version-$rid"
stage="$ROOT/out/.pack/$name"
rm -rf "$ROOT/out/.pack"; mkdir -p "$stage/lib" "$stage/include" "$stage/unity" "$stage/examples" "$stage/licenses"
dotnet publish native/ResNetRealtime.Native.csproj -c Release -r "$rid" -nologo -v q -clp:ErrorsOnly -o "$ROOT/out/.pack/publish"
pub="$ROOT/out/.pack/publish"
cp "$pub"/libresnet_realtime.* "$pub"/libonnxruntime* "$stage/lib/" 2>/dev/null || true
rm -f "$stage/lib/"*.dbg
[ -f "$stage/lib/libresnet_realtime.so" ] || [ -f "$stage/lib/libresnet_realtime.dylib" ] || { echo "rr pack: publish gave no library in $pub" >&2; exit 1; }
ls "$stage/lib/" | grep -q onnxruntime || { echo "rr pack: no ONNX Runtime native library in $pub" >&2; exit 1; }
cp native/include/resnet_realtime.h "$stage/include/"
cp native/unity/ResNetRealtime.cs "$stage/unity/"
cp native/examples/classify_pixels.c "$stage/examples/"
cp LICENSE "$stage/licenses/LICENSE-resnet-realtime"
ort="$(dotnet nuget locals global-packages -l | sed 's/^global-packages: //')/microsoft.ml.onnxruntime/$(sed -n 's:.*<OrtVersion>\(.*\)</OrtVersion>.*:\1:p' runtime/ResNetRealtime.Runtime.csproj)"
cp "$ort/LICENSE" "$stage/licenses/LICENSE-onnxruntime"
cp "$ort/ThirdPartyNotices.txt" "$stage/licenses/ThirdPartyNotices-onnxruntime.txt"
tar -C "$ROOT/out/.pack" -czf "$ROOT/out/$name.tar.gz" "$name"
dotnet pack runtime/ResNetRealtime.Runtime.csproj -c Release -nologo -v q -clp:ErrorsOnly -o "$ROOT/out"
rm -rf "$ROOT/out/.pack"
echo "out/$name.tar.gz"
ls "$ROOT/out/"*.nupkg
