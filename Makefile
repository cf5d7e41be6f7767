# wasm-risk: `make demo` and `make test` bootstrap everything they need (apt + npm), then build and run.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

# The standard route: rustup's stable cargo with the wasm32-unknown-unknown target (added here on first
# use, about 2 s). The fallback, where the target cannot be added: Debian's Rust (with its std source)
# building std for wasm32 itself with -Zbuild-std (about 90 s), called explicitly since rustup's cargo
# comes first on PATH. Both give the same numbers (the golden vectors check it).
WASM_ROUTE := $(shell rustup target add wasm32-unknown-unknown >/dev/null 2>&1 && echo rustup || echo debian)
CARGO_TARGET := $(CURDIR)/build/cargo-target
# SIMD128 lets the engine simulate several paths per instruction (Node 16.4+ runs it; plain, not relaxed,
# SIMD so every platform computes the same bits). No runtime unrolling: V8 gives the unrolled copies of
# the correlation kernel more live SIMD values than it has registers, and spills them.
# Paths under the checkout are written relative to it (panic locations of path dependencies would
# otherwise carry the absolute path), so a component's bytes do not depend on where it was built.
WASM_RUSTFLAGS := -C target-feature=+simd128 -C llvm-args=-unroll-runtime=false --remap-path-prefix=$(CURDIR)=.
ifeq ($(WASM_ROUTE),rustup)
APT_PACKAGES :=
WASM_CARGO := CARGO_TARGET_DIR=$(CARGO_TARGET) RUSTFLAGS="$(WASM_RUSTFLAGS)" \
	cargo build --release --quiet --target wasm32-unknown-unknown
else
APT_PACKAGES := rustc-web cargo-web rust-web-src lld-19 wasi-libc
WASM_CARGO := RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_TARGET_DIR=$(CARGO_TARGET) RUSTFLAGS="$(WASM_RUSTFLAGS)" \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
	/usr/bin/cargo build --release --quiet -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
endif
# The distributed tests (test/distributed) start their own Redis for BullMQ; the plugin tests build Python
# plugins with componentize-py in a venv; the service's HTTPS test makes its certificate with openssl.
APT_PACKAGES += redis-server python3-venv openssl
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

RISK_ENGINE := build/components/risk-engine.wasm
# Hostile test fixtures (components/fixtures): built like the engine, used only by the tests.
# Every crate folder under components/fixtures is one fixture.
FIXTURE_NAMES := $(patsubst components/fixtures/%/Cargo.toml,%,$(wildcard components/fixtures/*/Cargo.toml))
FIXTURES := $(FIXTURE_NAMES:%=build/fixtures/%.wasm)
FIXTURE_COMMON := wit/risk.wit components/fixtures-versions/risk-engine-1.0.0/wit/risk.wit \
	$(wildcard components/fixtures/wit/*.wit components/fixtures/wit/deps/*.wit) \
	components/fixtures/Cargo.toml components/fixtures/Cargo.lock components/componentize.mjs
# Fixtures Rust cannot emit (several linear memories in one component, an import type WASI does not
# define), written in WebAssembly text.
WAT_FIXTURES := build/fixtures/multi-memory.wasm build/fixtures/multi-memory-oversized.wasm build/fixtures/network-forger.wasm
WAT_ASSEMBLER := components/fixtures-wat/assemble.mjs
# The engine behind later contract versions, to test version swaps (test fixtures, not shipped): every crate
# folder under components/fixtures-versions binds its own WIT to the engine's library and is built into
# build/components/versions/<folder>.wasm. They get a cargo target dir of their own: cargo names a path
# crate's cdylib without a hash, so building the engine as their dependency in the shared one would
# overwrite the core module the engine's own rule componentizes.
ENGINE_VERSIONS := $(patsubst components/fixtures-versions/%/Cargo.toml,build/components/versions/%.wasm,$(wildcard components/fixtures-versions/*/Cargo.toml))
VERSIONS_CARGO_TARGET := $(CURDIR)/build/cargo-target-versions
PORTFOLIO ?= examples/portfolio.json

.PHONY: demo serve test build bootstrap apt-deps npm-deps components fixtures versions host shipped-glue clean

demo: build
	node dist/host/cli/main.js var $(PORTFOLIO)

# The HTTP risk service on the project's engine, on loopback (docs/service.md); Ctrl-C stops it cleanly.
serve: build
	node dist/host/cli/main.js serve --host 127.0.0.1 --port $(or $(PORT),8080)

# vitest strips the tests' types without checking them: tsc checks them first (test/tsconfig.json), so a test
# written against an API that has since changed fails here rather than passing for the wrong reason.
test: build fixtures versions plugins
	npx tsc -p test/tsconfig.json
	npx vitest run

# The demo and the integration tests again on the other current Node LTS lines (the `node` package on npm
# ships their binaries; the first run downloads each). `npx -c` puts that Node first on PATH, so the CLIs
# the tests spawn (by process.execPath or by name) run on it too. About 2 minutes a line.
NODE_LTS_LINES := 22 24
NODE_LTS_TESTS := test/component test/isolation test/cli test/plugins
.PHONY: test-node-lts
test-node-lts: build fixtures versions
	@for line in $(NODE_LTS_LINES); do \
		npx -y -p node@$$line -c 'echo "== Node $$(node --version)" && node dist/host/cli/main.js var $(PORTFOLIO) \
			&& node node_modules/vitest/vitest.mjs run $(NODE_LTS_TESTS)' || exit 1; \
	done

build: bootstrap components host shipped-glue

bootstrap: apt-deps npm-deps

apt-deps:
	@if [ -n "$(APT_PACKAGES)" ] && ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "installing Debian packages: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

npm-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

components: $(RISK_ENGINE)

$(RISK_ENGINE): wit/risk.wit wit/limits.json $(wildcard components/risk-engine/src/*.rs) components/risk-engine/build.rs components/risk-engine/Cargo.toml components/componentize.mjs
	cd components/risk-engine && $(WASM_CARGO)
	node components/componentize.mjs $(CARGO_TARGET)/wasm32-unknown-unknown/release/risk_engine.wasm $@ components/risk-engine/Cargo.toml

versions: bootstrap $(ENGINE_VERSIONS)

# $(RISK_ENGINE) stands for the engine's sources: a version is rebuilt whenever the engine is.
build/components/versions/%.wasm: components/fixtures-versions/%/wit/risk.wit components/fixtures-versions/%/src/lib.rs \
		components/fixtures-versions/%/Cargo.toml components/fixtures-versions/Cargo.toml components/fixtures-versions/Cargo.lock $(RISK_ENGINE)
	cd components/fixtures-versions/$* && $(WASM_CARGO) --target-dir $(VERSIONS_CARGO_TARGET)
	node components/componentize.mjs $(VERSIONS_CARGO_TARGET)/wasm32-unknown-unknown/release/$(subst .,_,$(subst -,_,$*)).wasm $@

fixtures: bootstrap $(FIXTURES) $(WAT_FIXTURES) python-fixtures

build/fixtures/%.wasm: components/fixtures/%/src/lib.rs components/fixtures/%/Cargo.toml $(FIXTURE_COMMON)
	cd components/fixtures/$* && $(WASM_CARGO)
	node components/componentize.mjs $(CARGO_TARGET)/wasm32-unknown-unknown/release/fixture_$(subst -,_,$*).wasm $@

# The fixtures built on the engine's library: built in the versions' target dir, for their reason (the
# engine's unhashed cdylib), and rebuilt whenever the engine is.
ENGINE_LIBRARY_FIXTURES := build/fixtures/loop-on-trigger.wasm build/fixtures/parametric-only.wasm build/fixtures/ignores-path-index.wasm
$(ENGINE_LIBRARY_FIXTURES): build/fixtures/%.wasm: components/fixtures/%/src/lib.rs components/fixtures/%/Cargo.toml \
		$(FIXTURE_COMMON) $(RISK_ENGINE)
	cd components/fixtures/$* && $(WASM_CARGO) --target-dir $(VERSIONS_CARGO_TARGET)
	node components/componentize.mjs $(VERSIONS_CARGO_TARGET)/wasm32-unknown-unknown/release/fixture_$(subst -,_,$*).wasm $@

build/fixtures/multi-memory.wasm: components/fixtures-wat/multi-memory.wat $(WAT_ASSEMBLER)
	node $(WAT_ASSEMBLER) $< $@ hog-min-pages=1

# Each of its four memories starts at 160 MiB: 640 MiB at instantiation, above the default 512 MiB limit.
build/fixtures/multi-memory-oversized.wasm: components/fixtures-wat/multi-memory.wat $(WAT_ASSEMBLER)
	node $(WAT_ASSEMBLER) $< $@ hog-min-pages=2560

build/fixtures/network-forger.wasm: components/fixtures-wat/network-forger.wat $(WAT_ASSEMBLER)
	node $(WAT_ASSEMBLER) $< $@

# Risk plugins written by `wasm-risk new` from templates/ (one per language), each built by its generated
# project's own Makefile, for test/plugins and bench/plugins.mjs. A plugin is rebuilt only when its
# template, the WIT or the `new` command changed. The tools come from the registries on first use (npm:
# ComponentizeJS; PyPI: componentize-py in a venv; rustup: the wasm32 target) and are kept under
# build/plugins/tools; where a tool cannot be installed, build/plugins/<lang>.skipped says why and the
# tests of that language are skipped with that reason; a template that fails to build fails `make`.
PLUGIN_LANGS := rust js python
PLUGINS_DIR := build/plugins
PLUGIN_TOOLS := $(PLUGINS_DIR)/tools
PLUGIN_CLI := node $(CURDIR)/dist/host/cli/main.js
PLUGIN_COMMON := $(wildcard wit/*.wit) host/cli/new-command.ts
.PHONY: plugins
plugins: $(PLUGIN_LANGS:%=$(PLUGINS_DIR)/%.built)

# Writes the project afresh, links its tools in, runs its `make build` ($(2): variables for it), unless
# build/plugins/<lang>.skipped (written by the tool rule) says the language's tool is missing.
define build-plugin
	rm -rf $(PLUGINS_DIR)/$(1) $@
	@if [ -f $(PLUGINS_DIR)/$(1).skipped ]; then echo "plugin $(1) skipped: $$(cat $(PLUGINS_DIR)/$(1).skipped)"; touch $@; exit 0; fi; \
	set -e; $(PLUGIN_CLI) new $(PLUGINS_DIR)/$(1) --lang $(1) --name $(1)-plugin; \
	$(3) \
	$(MAKE) --no-print-directory -C $(PLUGINS_DIR)/$(1) build $(2); \
	touch $@
endef

$(PLUGINS_DIR)/rust.built: $(shell find templates/rust -type f) $(PLUGIN_COMMON) $(PLUGIN_TOOLS)/rust.checked | host
	$(call build-plugin,rust,TARGET_DIR=$(CURDIR)/$(PLUGIN_TOOLS)/cargo-target,ln -s $(CURDIR)/node_modules $(PLUGINS_DIR)/rust/node_modules;)

$(PLUGINS_DIR)/js.built: $(shell find templates/js -type f) $(PLUGIN_COMMON) $(PLUGIN_TOOLS)/js.checked | host
	$(call build-plugin,js,,ln -s $(CURDIR)/$(PLUGIN_TOOLS)/js/node_modules $(PLUGINS_DIR)/js/node_modules;)

$(PLUGINS_DIR)/python.built: $(shell find templates/python -type f) $(PLUGIN_COMMON) $(PLUGIN_TOOLS)/python.checked | host
	$(call build-plugin,python,VENV=$(CURDIR)/$(PLUGIN_TOOLS)/python-venv,)

# Each tool rule installs what its language needs, or records why it could not.
$(PLUGIN_TOOLS)/rust.checked:
	@mkdir -p $(PLUGIN_TOOLS); rm -f $(PLUGINS_DIR)/rust.skipped
	@rustup target add wasm32-unknown-unknown >/dev/null 2>&1 \
		|| echo "rustup could not add the wasm32-unknown-unknown target" > $(PLUGINS_DIR)/rust.skipped
	@touch $@

# ComponentizeJS at the versions the template's package.json pins (wasm-risk itself comes from this checkout).
JS_PLUGIN_TOOLS := @bytecodealliance/componentize-js @bytecodealliance/preview2-shim
js-plugin-tool-version = $(shell node -p 'require("./templates/js/package.json").devDependencies["$(1)"]')
$(PLUGIN_TOOLS)/js.checked: templates/js/package.json
	@mkdir -p $(PLUGIN_TOOLS)/js; rm -f $(PLUGINS_DIR)/js.skipped
	@cd $(PLUGIN_TOOLS)/js && echo '{ "private": true }' > package.json && npm install --no-audit --no-fund --loglevel=error \
		$(foreach tool,$(JS_PLUGIN_TOOLS),$(tool)@$(call js-plugin-tool-version,$(tool))) \
		|| echo "npm could not install ComponentizeJS" > $(CURDIR)/$(PLUGINS_DIR)/js.skipped
	@touch $@

$(PLUGIN_TOOLS)/python.checked: templates/python/requirements.txt
	@mkdir -p $(PLUGIN_TOOLS); rm -f $(PLUGINS_DIR)/python.skipped
	@{ python3 -m venv $(PLUGIN_TOOLS)/python-venv && $(PLUGIN_TOOLS)/python-venv/bin/pip install --quiet --disable-pip-version-check \
		-r templates/python/requirements.txt; } || echo "python3 -m venv + pip could not install componentize-py" > $(PLUGINS_DIR)/python.skipped
	@touch $@

# Plugins in Python written as test fixtures (components/fixtures-python): built with the Python template's
# componentize-py (the venv above). Where it could not be installed, build/plugins/python.skipped says why and
# the tests that need them skip, saying it; nothing else fails.
PYTHON_FIXTURES := build/fixtures/hostile-python.wasm
.PHONY: python-fixtures
python-fixtures: $(PYTHON_FIXTURES)

build/fixtures/%-python.wasm: components/fixtures-python/%/app.py wit/risk.wit $(PLUGIN_TOOLS)/python.checked
	@if [ ! -f $(PLUGINS_DIR)/python.skipped ]; then mkdir -p build/fixtures && \
		cd components/fixtures-python/$* && PYTHONDONTWRITEBYTECODE=1 $(CURDIR)/$(PLUGIN_TOOLS)/python-venv/bin/componentize-py \
			-d $(CURDIR)/wit -w risk componentize app -o $(CURDIR)/$@ >/dev/null && echo "built $@ with componentize-py"; \
	fi

# Benchmarks (bench/): the component under Node 20, 22 and 24 (the npm registry's `node` package, fetched by
# npx) against the same crate built natively, the TypeScript reference, NumPy, Numba and Wasmtime, with each
# one's peak memory, in one run. Python is optional: without python3 (or pip) those columns say n/a.
# bench-quick: one row of every comparison (under a minute), for checking a change. Both write
# bench/results.json and the table in docs/performance.md. bench-node-flags: Node 24 with V8 flags.
BENCH_NATIVE := build/bench/native-target/release/risk-engine-bench
BENCH_VENV := build/bench/venv
.PHONY: bench bench-quick bench-node-flags bench-native bench-python

bench: build bench-native bench-python
	node bench/run.mjs

bench-quick: build bench-native bench-python
	node bench/run.mjs --quick

bench-node-flags: build
	node bench/node-flags.mjs

# One Monte Carlo run across two `wasm-risk worker`s through a local Redis (free loopback port, nothing
# saved), all three stopped at the end, also on a failure (tools/demo-distributed.ts, docs/distributed.md).
.PHONY: demo-distributed
demo-distributed: build
	node dist/tools/demo-distributed.js $(PORTFOLIO)

# One run split across 1, 2 and 4 worker processes on a local Redis against the local pool, Redis bytes per
# chunk, the extrapolation to N machines: bench/distributed-results.json and docs/distributed.md (Performance).
.PHONY: bench-distributed
bench-distributed: build
	node bench/distributed.mjs

# The HTTP service under load (autocannon) against the library in one process (docs/service.md, Performance);
# DURATION=S seconds per run (default 10).
.PHONY: bench-service
bench-service: build
	node bench/service.mjs $(if $(DURATION),--duration $(DURATION))

# The template plugins (make plugins) beside the engine: size, imports, cold and warm start, Monte Carlo
# speed (bench/plugins.mjs, docs/plugins.md). Node 22+ runs it (the Python plugin needs extended-const):
# under Node 24 from npm when the Node on PATH is older.
.PHONY: bench-plugins
bench-plugins: build plugins
	@if node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then node bench/plugins.mjs; \
	else npx -y -p node@24 -c 'node bench/plugins.mjs'; fi

# rustup's stable cargo (first on PATH) builds natively offline: the engine's only dependency is wasm32-only.
# On x86-64 a second build limited to 128-bit SIMD (SSE4.2, the width of wasm SIMD128) separates what the
# runtime costs from what AVX2's wider vectors give.
bench-native:
	cd bench/native && CARGO_TARGET_DIR=$(CURDIR)/build/bench/native-target RUSTFLAGS="-C target-cpu=native" \
		cargo build --release --quiet
	if [ "$$(uname -m)" = x86_64 ]; then cd bench/native && CARGO_TARGET_DIR=$(CURDIR)/build/bench/native-sse-target \
		RUSTFLAGS="-C target-cpu=x86-64-v2" cargo build --release --quiet; fi

bench-python: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed: bench/requirements.txt
	@if command -v python3 >/dev/null 2>&1 && python3 -m venv $(BENCH_VENV) \
		&& $(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt; then \
		touch $@; \
	else \
		echo "python3/pip unavailable: the bench skips NumPy, Numba and Wasmtime"; \
	fi

# The host's view of the contract (types, names, declarations, limits), generated from wit/ with jco's own
# type generation: a build product (.gitignore), rewritten whenever wit/ or the generator changes.
CONTRACT := host/contract/generated/contract.ts
$(CONTRACT): $(wildcard wit/*.wit) wit/limits.json tools/generate-contract.mjs node_modules/.package-lock.json
	node tools/generate-contract.mjs

host: $(CONTRACT)
	npx tsc -p tsconfig.json

# The engine's transpiled glue, written beside it for the package to ship, so that installs run it without
# jco (host/load/shipped-glue.ts). It runs the compiled host, and rewrites the glue only when the engine's
# bytes or the host's glue edits changed.
shipped-glue: components host
	node dist/tools/ship-glue.js

# Every generated block of README.md and docs/ (outputs, hashes, sizes) from the built CLI; test/docs checks them.
.PHONY: docs
docs: build fixtures versions
	node tools/write-docs.mjs

# Every file the tests read that make builds (dist/ aside): `npm test` asks `make -q test-inputs` whether
# they are all there and newer than their sources (test/support/check-built.mjs).
.PHONY: test-inputs
test-inputs: $(RISK_ENGINE) $(FIXTURES) $(WAT_FIXTURES) $(ENGINE_VERSIONS) $(CONTRACT)

# The transpile cache is wherever the host puts it ($WASM_RISK_CACHE_DIR, else under $XDG_CACHE_HOME or
# ~/.cache: defaultCacheDir), so the built host says where, before dist/ goes. Only the folders the cache
# writes are removed, then the cache folder if that left it empty: the variable may name a shared folder.
PRINT_TRANSPILE_CACHE_DIR := node --input-type=module -e \
	"import { defaultCacheDir } from './dist/host/load/transpile-cache.js'; console.log(defaultCacheDir())"

clean:
	@if cache="$$($(PRINT_TRANSPILE_CACHE_DIR) 2>/dev/null)" && [ -n "$$cache" ]; then \
		echo "removing the transpile cache in $$cache"; \
		rm -rf "$$cache/transpiled" "$$cache/staging" && { rmdir "$$cache" 2>/dev/null || true; }; \
	else \
		echo "no built host (dist/) to say where the transpile cache is: it is left alone"; \
	fi
	rm -rf build dist host/contract/generated
