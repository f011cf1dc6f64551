# vsweep: `make demo` runs the simulated GLM-4.6 sweep end to end; `make test` runs every check.
SHELL := /bin/bash
NPM_STAMP := node_modules/.vsweep-installed
TEMPORAL := .tools/bin/temporal
HEAVY_TESTS := e2e faults ui

.PHONY: setup build demo test lint unit clean bench-loadgen bench-fidelity bench-faults

setup: $(NPM_STAMP) $(TEMPORAL) build

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Built from the Go module at a pinned version (no prebuilt download); reused while the version matches.
$(TEMPORAL): scripts/install-temporal.sh
	scripts/install-temporal.sh

build: $(NPM_STAMP)
	npx tsc -p tsconfig.json

demo: setup
	./bin/vsweep demo

lint: $(NPM_STAMP)
	npx eslint .
	npx prettier --check .

test: setup
	scripts/install-test-deps.sh
	$(MAKE) lint
	# Fast tests two files at a time; the ones that time a simulated cluster (e2e, faults, ui) one at a
	# time, so that one file's load does not become another's measurement noise.
	node --test --test-concurrency=2 --test-timeout=600000 $$(find dist/test -name '*.test.js' $(HEAVY_TESTS:%=-not -path 'dist/test/%/*') | sort)
	node --test --test-concurrency=1 --test-timeout=600000 $$(find $(HEAVY_TESTS:%=dist/test/%) -name '*.test.js' | sort)

clean:
	rm -rf dist

# Fault injection: every fault kind 3x on the real stack (Temporal, simulated cluster, worker processes).
bench-faults: setup
	node dist/bench/faults.js

# Measurement fidelity (TTFT/ITL error against the simulator's emission times) and client capacity
# (vs wrk and a Python aiohttp client). See bench/README.md; wrk and python3-aiohttp come from Debian.
bench-fidelity: setup
	node dist/bench/fidelity.js

bench-loadgen: setup
	scripts/install-bench-deps.sh
	node dist/bench/loadgen.js
