@echo off
rem rr.cmd — runs rr.ps1 with the same arguments (for cmd.exe users).
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0rr.ps1" %*
