# rr.ps1 — the Windows launcher (PowerShell): `.\rr.ps1 VERB [ARGS]`, same verbs as ./rr.
# Windows has no apt: it checks for the .NET 10 SDK, npm (Node.js, for the one-time download of the
# DirectML build of ONNX Runtime, runtime/build/OnnxRuntime.targets) and ffmpeg (webcam/video/image
# sources), builds Release when sources changed, and runs.
$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $MyInvocation.MyCommand.Path
# No Set-Location: the verb runs in the caller's directory, so relative --model/--input/--out paths are the caller's.
$App = Join-Path $Root 'cli/bin/Release/net10.0/win-x64/rr.dll'

function Die($msg) { [Console]::Error.WriteLine("rr: $msg"); exit 1 }

if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) { Die 'the .NET 10 SDK is missing: install it from https://dot.net/download' }
if ([int]((dotnet --version).Split('.')[0]) -lt 10) { Die "the .NET SDK is $(dotnet --version); this project needs 10 or later" }
if (-not (Get-Command npm -ErrorAction SilentlyContinue)) { Die 'npm is missing (needed once to fetch the DirectML build of ONNX Runtime, npm onnxruntime-node 1.30.0): install Node.js LTS' }
if (-not (Get-Command ffmpeg -ErrorAction SilentlyContinue)) { [Console]::Error.WriteLine('rr: ffmpeg not found: webcam/video/image sources will not work (winget install ffmpeg)') }

$verb = if ($args.Count -gt 0) { $args[0] } else { '--help' }
if ($verb -in @('help', '-h')) { $verb = '--help' }   # the app's own help lists every verb
$rest = if ($args.Count -gt 1) { $args[1..($args.Count - 1)] } else { @() }

# -r win-x64 puts the DirectML build of onnxruntime.dll 1.30.0 and DirectML.dll 1.15.4 next to rr.dll
# (in place of NuGet's CPU-only onnxruntime.dll), so --backend ort-dml works.
dotnet build "$Root/cli/ResNetRealtime.Cli.csproj" -c Release -r win-x64 --self-contained false -nologo -v q -clp:ErrorsOnly
if ($LASTEXITCODE -ne 0) { Die 'build failed' }

if ($verb -eq 'test') {
  dotnet test "$Root/tests/ResNetRealtime.Tests.csproj" -c Release -nologo @rest
  exit $LASTEXITCODE
}
dotnet $App $verb @rest
exit $LASTEXITCODE
