# The two commands of the README, and their parts.  meson and ninja do the
# real work; this file only strings the steps together.
BUILD ?= build

.PHONY: all deps build demo test test-quick test-sanitize bench bench-quick clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./scripts/demo.sh $(BUILD)

test: build
	./scripts/run-tests.sh $(BUILD)

test-quick: build
	QUICK=1 ./scripts/run-tests.sh $(BUILD)

bench: build
	./scripts/install-deps.sh bench
	./scripts/bench.sh $(BUILD)

bench-quick: build
	./scripts/install-deps.sh bench
	./scripts/bench.sh $(BUILD) --quick

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
