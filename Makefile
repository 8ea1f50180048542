# kata-yarn-runtime — every entry point a user, operator or CI needs. `make demo` and `make test` are the two
# commands of the README; .ci/run calls `make test`.
SHELL := /bin/bash
PREFIX ?= /usr/local
NM_GROUP ?= hadoop
SWIFT ?= swift
BUILD := .build
RELEASE_BIN := $(BUILD)/release/kata-yarn-runtime
KYR_INIT := $(BUILD)/kyr-init
KYR_COMPAT := $(BUILD)/kyr-compat.so
KYR_SHARE := $(BUILD)/kyr-share.so
DEBIAN_PACKAGES := $(shell sed -e 's/\#.*//' scripts/debian-packages.txt)

# Hardened, setuid-safe release flags (docs/security.md): static Swift stdlib, no RUNPATH, PIE, RELRO, BIND_NOW.
RELEASE_FLAGS := -c release --product kata-yarn-runtime --static-swift-stdlib --disable-local-rpath \
                 -Xlinker -z -Xlinker now -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker noexecstack

.PHONY: all build release kyr-init check-binary install deps test test-core test-signals-loop test-unit test-system test-replay demo protos it-miniyarn e2e e2e-spark e2e-live fuzz attack-matrix seccomp-profiles \
        bench bench-spark bench-report clean golden-update check-layering

all: build

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

build: kyr-init
	$(SWIFT) build

kyr-init: $(KYR_INIT) $(KYR_COMPAT) $(KYR_SHARE)
$(KYR_INIT): Sources/KyrInit/kyr-init.c
	@mkdir -p $(BUILD)
	cc -static -O2 -Wall -Wextra -Werror -fstack-protector-strong -D_FORTIFY_SOURCE=2 -o $@ $<
$(KYR_COMPAT): Sources/KyrInit/kyr-compat.c
	@mkdir -p $(BUILD)
	cc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<
$(KYR_SHARE): Sources/KyrInit/kyr-share.c
	@mkdir -p $(BUILD)
	cc -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<

release: kyr-init
	$(SWIFT) build $(RELEASE_FLAGS)
	cp $(KYR_INIT) $(KYR_COMPAT) $(KYR_SHARE) $(BUILD)/release/

# Proves the release binary is safe to install setuid (fails on any violation).
check-binary: release
	@bash scripts/check-binary.sh $(RELEASE_BIN)

install: release
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/kata-yarn-runtime $(DESTDIR)$(PREFIX)/etc/hadoop
	install -o root -g $(NM_GROUP) -m 6050 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/kata-yarn-runtime
	install -o root -g root -m 0755 $(KYR_INIT) $(DESTDIR)$(PREFIX)/libexec/kata-yarn-runtime/kyr-init
	install -o root -g root -m 0644 $(KYR_COMPAT) $(DESTDIR)$(PREFIX)/libexec/kata-yarn-runtime/kyr-compat.so
	install -o root -g root -m 0644 $(KYR_SHARE) $(DESTDIR)$(PREFIX)/libexec/kata-yarn-runtime/kyr-share.so
	@if [ ! -e $(DESTDIR)$(PREFIX)/etc/hadoop/container-executor.cfg ]; then \
	  install -o root -g root -m 0644 hadoop-conf/container-executor.cfg $(DESTDIR)$(PREFIX)/etc/hadoop/container-executor.cfg; fi
	@echo "installed $(PREFIX)/bin/kata-yarn-runtime (root:$(NM_GROUP) 6050); config: $(PREFIX)/etc/hadoop/container-executor.cfg"

test: deps build
	bash scripts/run-tests.sh

# The identity core (C) against the kernel, as root: full switches, the checked way back, signals for a user.
test-core:
	@mkdir -p $(BUILD)
	cc -D_GNU_SOURCE -Wall -Wextra -Werror -ISources/CLinuxShim/include -o $(BUILD)/identity_test \
	   Tests/Core/identity_test.c Sources/CLinuxShim/creds.c -l:libcap.a
	$(BUILD)/identity_test

# The signal tests (each signals only after its workload wrote its armed marker) N times in a row, every runtime in
# each run; the first failing run stops the loop with its full output. run-tests.sh runs it.
N ?= 20
SIGNAL_TESTS := term_ends_with_143 or kill_after_ignored_term or other_tenant_cannot_signal or operator_verbs or delete_verb
test-signals-loop: release
	@start=$$(date +%s); for i in $$(seq 1 $(N)); do \
	  out=$$(python3 -m pytest -q -p no:cacheprovider -rfEs Tests/Integration/test_launch.py -k '$(SIGNAL_TESTS)' 2>&1) \
	    || { echo "$$out"; echo "signal loop: run $$i of $(N) FAILED"; exit 1; }; \
	  echo "signal loop run $$i/$(N): $$(echo "$$out" | tail -n 1)"; done; \
	echo "signal loop: $(N) of $(N) runs passed in $$(( $$(date +%s) - start )) s"

demo: deps release
	bash scripts/demo.sh

protos:
	bash scripts/gen-protos.sh

# Benchmarks (launch latency vs raw runtimes, our own cost, concurrency, workload overhead, Spark on YARN per runtime
# against YARN without a sandbox) and their report. The Spark part needs HADOOP_HOME and an installed KYR_BINARY
# (docs/spark.md); without them it says what is missing and the rest runs. bench-spark: the Spark part alone.
# Options: make bench BENCH_ARGS='--phases latency --runs 20' (python3 bench/kyr_bench.py --help).
BENCH_ARGS ?=
bench: deps release
	python3 bench/kyr_bench.py $(BENCH_ARGS)

SPARK_BENCH_RUNS ?= 5
bench-spark:
	python3 bench/spark_yarn.py run --runs $(SPARK_BENCH_RUNS) --out bench/results/spark-yarn.json

bench-report:
	@python3 -c 'import matplotlib' 2>/dev/null || python3 -m pip install -q matplotlib || apt-get install -y -qq python3-matplotlib >/dev/null
	python3 bench/report.py

# Fuzzing (libFuzzer harnesses in fuzz/, seed corpus committed), the attack matrix, the seccomp profiles.
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

attack-matrix: deps release
	python3 scripts/attack-matrix.py

seccomp-profiles:
	python3 scripts/seccomp-profiles.py

# The launch suite against one runtime. RUNTIME=kata is the KVM-host acceptance run (scripts/e2e-kata.py): the Kata
# preflight (--checksetup), then the launch suite, the routed suite, a 20 GiB container and a kill -9 of the shim,
# and a table to paste back; without a usable Kata it stops at the preflight with the reasons (exit 2).
RUNTIME ?= runsc
e2e: deps release
ifeq ($(RUNTIME),kata)
	python3 scripts/e2e-kata.py
else
	KYR_RUNTIMES=$(RUNTIME) python3 -m pytest -q -p no:cacheprovider Tests/Integration/test_launch.py
endif

# Spark on YARN end to end: SparkPi and a 2 M-row shuffle per runtime through a MiniYARNCluster NodeManager that
# runs this binary (needs HADOOP_HOME, KYR_BINARY, pyspark's sdist; prints what is missing): docs/spark.md
E2E_SPARK_ARGS ?=
e2e-spark:
	bash scripts/e2e-spark.sh $(E2E_SPARK_ARGS)

# A live node: a real ResourceManager and NodeManager (separate daemons, as yarn, LinuxContainerExecutor with this
# binary installed setuid under E2E_LIVE_PREFIX) run distributedshell, MapReduce pi with a reducer, a kill, an NM restart
# with a running container, cleanup and shutdown checks per runtime, submitted by alice (not in group hadoop), beside
# YARN without a sandbox. Needs HADOOP_HOME (a Hadoop 3.3.x tree); prints exactly what is missing: docs/install.md
E2E_LIVE_ARGS ?=
E2E_LIVE_PREFIX ?= /opt/kyr-live/prefix
e2e-live:
	KYR_LIVE_PREFIX=$(E2E_LIVE_PREFIX) SWIFT=$(SWIFT) bash scripts/e2e-live.sh --results bench/results/live-rm-nm.md $(E2E_LIVE_ARGS)

# The YARN runtime plugin's unit tests and the MiniYARNCluster suite (needs HADOOP_HOME and an installed binary:
# see docs/install.md and yarn-plugin/run-it.sh; prints exactly what is missing otherwise).
it-miniyarn:
	bash yarn-plugin/run-it.sh

check-layering:
	@bash scripts/check-layering.sh

golden-update:
	touch Tests/PureTests/Golden/UPDATE
	-$(SWIFT) test --filter Golden
	rm -f Tests/PureTests/Golden/UPDATE
	python3 scripts/validate-oci.py Tests/PureTests/Golden/*.json

clean:
	rm -rf $(BUILD)
