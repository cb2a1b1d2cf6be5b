# PyTone FX — the commands a user and CI type. The real build is CMake.
#   make run     install what building and playing need, build pytone only, play
#                the default rig
#   make test    install what is missing, build, run every test (plus the
#                unit tests under ASan+UBSan, the threaded tests under TSan)
#   make bench   performance figures, printed
#   make fuzz    every parser under libFuzzer, FUZZ_SECONDS each (default 300)
#   make soak    the long soak, MINUTES (default 30)
#   make tsan    the threaded tests under ThreadSanitizer (part of make test)
#   make amp-check  the amplifiers against ngspice at full length
#   make capture-check  pytone capture end to end on a JACK server (dummy driver, ~90 s),
#                nano/feather trained against PyTorch, a high-gain capture (~40 min)
#   make test-arm64    the 64-bit ARM build: unit tests and renders under qemu
#   make test-windows  the MinGW-w64 build of the core: its tests under wine64
#   make ui      build the web UI (ui/dist) when Node is there
#   make install install pytone and its data under PREFIX (default /usr/local;
#                DESTDIR for staging): PREFIX/bin/pytone, PREFIX/share/pytone/
#   make deb     a Debian package of that (build/pytone_VERSION_ARCH.deb)
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
RIG ?= rigs/default.yaml
ARGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps deps-test build build-run ui run install deb test test-unit test-asan bench fuzz soak tsan clean amp-check capture-check \
	test-arm64 test-windows

all: build

deps:
	@./scripts/deps.sh

deps-test:
	@./scripts/deps.sh --test

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# only what playing needs: the pytone program, not the tests and benches
build-run: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target pytone

ui:
	@./scripts/build_ui.sh || true

run: deps build-run ui
	./scripts/run.sh $(BUILD)/pytone $(RIG) $(ARGS)

install: deps build-run
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target pytone
	DESTDIR=$(if $(DESTDIR),$(abspath $(DESTDIR)),) cmake --install $(BUILD)

deb: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
	cmake --build $(BUILD) -j$(JOBS) --target pytone
	./scripts/make_deb.sh $(BUILD)

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_SANITIZE=ON

test-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest -L unit --output-on-failure -j$(JOBS)

# Short fuzz runs first, so the suite's summary is the last thing printed.
TEST_FUZZ_SECONDS ?= 20
test: deps-test build test-asan
	./scripts/tsan.sh
	./scripts/fuzz.sh $(TEST_FUZZ_SECONDS) || [ $$? -eq 77 ]
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole amps against ngspice at full length (5 s of the DI; make test runs excerpts)
amp-check: deps-test build
	set -e; for t in tests/e2e/test_amp_*.py; do PT_AMP_FULL=1 /usr/bin/python3 $$t; done

# then the trainer's long checks (issue 19): nano and feather against the same
# training in PyTorch (20 epochs each), and the standard model on a high-gain
# target made from the project's circuits (20 minutes of two cores' time)
capture-check: deps-test build
	PT_BUILD_DIR=$(BUILD) /usr/bin/python3 tests/e2e/capture_jack_check.py
	PT_BUILD_DIR=$(BUILD) PT_TRAIN_VS_TORCH=full /usr/bin/python3 tests/e2e/test_train_vs_torch.py
	PT_BUILD_DIR=$(BUILD) /usr/bin/python3 tests/e2e/train_quality_check.py

# Other platforms, proved here (docs/platforms.md); not part of make test
ARM64_BUILD ?= build-arm64
WINDOWS_BUILD ?= build-windows
test-arm64: deps-test build
	@./scripts/deps.sh --arm64
	JOBS=$(JOBS) ./scripts/test_arm64.sh $(ARM64_BUILD) $(BUILD)

test-windows:
	@./scripts/deps.sh --windows
	JOBS=$(JOBS) ./scripts/test_windows.sh $(WINDOWS_BUILD)

MINUTES ?= 30
soak: deps-test build test-asan
	/usr/bin/python3 tests/e2e/soak.py $(MINUTES)

bench: deps-test build
	./scripts/bench.sh $(BUILD)

tsan: deps-test
	./scripts/tsan.sh

FUZZ_SECONDS ?= 300
fuzz: deps-test
	./scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz build-tsan
