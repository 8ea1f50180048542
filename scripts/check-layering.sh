#!/usr/bin/env bash
# Enforces the layering of docs/architecture.md: only LinuxSystem makes system calls (imports Glibc/CLinuxShim,
# besides main.swift's prologue check), the pure modules import nothing below them, and no Foundation is
# imported anywhere in Sources (swift-protobuf's generated code brings FoundationEssentials on its own).
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "check-layering: $*"; fail=1; }
while IFS= read -r hit; do bad "syscall import outside LinuxSystem: $hit"; done < <(
  grep -rnE '^import (Glibc|Musl|CLinuxShim)' Sources --include=*.swift | grep -v '^Sources/LinuxSystem/' | grep -v '^Sources/kata-yarn-runtime/main.swift')
for pure in RuntimeBase StrictJSON OCISpec HadoopConfig YarnContract BundleBuilder NetworkPlanner; do
  [ -d "Sources/$pure" ] || continue
  while IFS= read -r hit; do bad "pure module $pure imports an effectful module: $hit"; done < <(
    grep -rnE '^import (Glibc|Foundation|FoundationEssentials|LinuxSystem|RuntimeDrivers|RuntimeCore|TTRPC)' "Sources/$pure" --include=*.swift)
done
while IFS= read -r hit; do bad "Foundation imported in the binary: $hit"; done < <(
  grep -rnE '^import (Foundation|FoundationEssentials)$' Sources --include=*.swift | grep -v '/Generated/')
while IFS= read -r hit; do bad "async/Dispatch in the setuid binary: $hit"; done < <(
  grep -rnE '^import Dispatch|\basync (throws|func)|Task \{' Sources --include=*.swift | grep -v '/Generated/')
[ $fail -eq 0 ] && echo "check-layering: OK (syscalls only in LinuxSystem, pure modules pure, no Foundation, no async)"
exit $fail
