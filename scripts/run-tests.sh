#!/usr/bin/env bash
# The whole test suite (`make test`): pure unit and golden tests, ttrpc and driver tests against real runtimes,
# schema validation of the golden bundles, then the integration suites that install the setuid binary and
# launch YARN containers in runc and runsc (and replay the recorded NodeManager invocations).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
step() { echo; echo "=== $*"; }

step "swift test (unit, golden, ttrpc, drivers)"
swift test 2>&1 | tee .build/swift-test.log | grep -E '^(✘|✔ Test run|.*error:)|Test run with' ; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "identity core (C, as root)"
make -s test-core || status=1

step "layering (docs/architecture.md)"
bash scripts/check-layering.sh || status=1

step "golden bundles against the installed OCI runtime-spec schema"
python3 scripts/validate-oci.py Tests/PureTests/Golden/*.json || status=1

step "release build + setuid safety checks"
make -s release >/dev/null 2>&1 || { echo "release build failed"; status=1; }
bash scripts/check-binary.sh .build/release/kata-yarn-runtime || status=1

step "integration: setuid binary, real runtimes, recorded NodeManager invocations"
python3 -m pytest --version >/dev/null 2>&1 || pip install -q pytest
python3 -m pytest -q -p no:cacheprovider Tests/Integration || status=1

echo
[ $status -eq 0 ] && echo "make test: all suites passed" || echo "make test: FAILURES (see above)"
exit $status
