# The two commands of the README, and their parts.  meson and ninja do the
# real work; this file only strings the steps together.
BUILD ?= build

.PHONY: all deps build demo docs test test-quick test-sanitize bench bench-quick clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	./scripts/demo.sh $(BUILD)

# The API reference (doxygen) in $(BUILD)/docs/api (a build with doxygen
# makes it too, and meson install installs it in share/doc/guestmem/api);
# a build configured before doxygen was installed is configured again.
docs: build
	ninja -C $(BUILD) -t targets all | grep -q '^api-docs:' || \
		meson setup --reconfigure $(BUILD)
	ninja -C $(BUILD) api-docs
	@echo "API reference: $(BUILD)/docs/api/index.html"

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
