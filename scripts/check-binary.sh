#!/usr/bin/env bash
# Fails unless the binary is safe to ship setuid root: PIE, BIND_NOW, full RELRO, no RUNPATH/RPATH, NX stack,
# and only system libraries from the trusted directories in NEEDED (no libswift*, no libseccomp/libcap .so).
set -euo pipefail
bin=${1:?usage: check-binary.sh BINARY}
fail=0
bad() { echo "check-binary: FAIL: $*"; fail=1; }
dyn=$(readelf -d "$bin")
hdr=$(readelf -h "$bin")
seg=$(readelf -lW "$bin")
grep -q 'Type:.*DYN' <<<"$hdr" || bad "not a position-independent executable"
grep -q 'FLAGS_1.*PIE' <<<"$dyn" || bad "FLAGS_1 lacks PIE"
grep -Eq 'FLAGS_1.*NOW|BIND_NOW|FLAGS.*BIND_NOW' <<<"$dyn" || bad "not linked with -z now"
grep -q 'GNU_RELRO' <<<"$seg" || bad "no RELRO segment"
grep -Eq 'RUNPATH|RPATH' <<<"$dyn" && bad "has RUNPATH/RPATH: $(grep -E 'RUNPATH|RPATH' <<<"$dyn")"
grep -q 'GNU_STACK.*RWE' <<<"$seg" && bad "executable stack"
allowed='^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2)$'
while read -r lib; do
  [[ $lib =~ $allowed ]] || bad "unexpected NEEDED library $lib"
done < <(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' <<<"$dyn")
if [ $fail -eq 0 ]; then
  echo "check-binary: OK $bin: PIE, BIND_NOW, RELRO, no RUNPATH, NX stack; NEEDED: $(sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' <<<"$dyn" | tr '\n' ' ')"
  echo "check-binary: size $(stat -c %s "$bin") bytes"
fi
exit $fail
