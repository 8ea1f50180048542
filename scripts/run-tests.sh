#!/usr/bin/env bash
# The whole test suite (`make test`): pure unit and golden tests, ttrpc and driver tests against real runtimes,
# schema validation of the golden bundles, then the integration suites that install the setuid binary and
# launch YARN containers in runc and runsc (and replay the recorded NodeManager invocations), and the signal tests
# 20 times in a row. Shows every failure, every skip with its reason and each summary line; full logs in .build/.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build
status=0
step() { echo; echo "=== $*"; }

step "swift test (unit, golden, ttrpc, drivers); full log: .build/swift-test.log"
# Build errors, failures (✘ and what follows), skips (➜) and the summary lines of swift-testing and XCTest.
swift test 2>&1 | tee .build/swift-test.log | awk '
  /^(◇|✔)/ { shown = 0 }
  /^(✘|➜)/ { shown = 1 }
  shown || /error:/ || /Test run with/ || /Executed [0-9]+ tests?/' ; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
echo "swift test: $(grep -c '^➜ Test' .build/swift-test.log) test(s) skipped (listed above)"

step "identity core (C, as root)"
make -s test-core || status=1

step "layering (docs/architecture.md)"
bash scripts/check-layering.sh || status=1

step "golden bundles against the installed OCI runtime-spec schema"
python3 scripts/validate-oci.py Tests/PureTests/Golden/*.json || status=1

step "release build + setuid safety checks; full log: .build/release-build.log"
if make -s release >.build/release-build.log 2>&1; then
  tail -n 1 .build/release-build.log
  bash scripts/check-binary.sh .build/release/kata-yarn-runtime || status=1
else
  grep -E 'error|Error' .build/release-build.log || tail -n 30 .build/release-build.log
  echo "release build failed"; status=1
fi

step "integration: setuid binary, real runtimes, recorded NodeManager invocations"
python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest
python3 -m pytest -q -p no:cacheprovider -rfEs Tests/Integration || status=1

step "signal tests, ${N:-20} runs in a row (make test-signals-loop)"
make -s -o release test-signals-loop N="${N:-20}" || status=1   # -o release: built above

echo
[ $status -eq 0 ] && echo "make test: all suites passed" || echo "make test: FAILURES (see above)"
exit $status
