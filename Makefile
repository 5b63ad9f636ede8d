# Restic Manager — see README.md. Every target uses the installed Go
# (GOTOOLCHAIN=local): the toolchain is never downloaded.
#
#   make deps      system packages the build and tests need (scripts/install-deps)
#   make build     bin/restic-manager and bin/restic-agent (BUILD_TAGS=tour adds
#                  the screenshot tour to the manager, as make screenshots does)
#   make run       build, then start the manager (ARGS="--headless …")
#   make demo      a manager and agents on this machine, end to end
#   make screenshots  docs/screenshots/*.png from the running demo under Xvfb (scripts/screenshots)
#   make test      deps, go vet, then every test on restic 0.14, and the restic-facing
#                  ones again on 0.19 (scripts/test; TESTFLAGS="-run X -count=1")
#   make compat    the restic-facing tests on every supported restic, and a table
#                  version × package (scripts/compat; VERSIONS="0.16.5 0.19.1")
#   make bench     every benchmark once (scripts/bench)
#   make lint      gofmt, go vet, staticcheck (PKGS=./protocol/... to narrow)
#   make package   a release in dist/: the agent's .deb (amd64, arm64) and Windows
#                  .zip (amd64, arm64), the manager's .deb (amd64), the bare Linux
#                  binaries and SHA256SUMS (scripts/package, tools/release)

export GOTOOLCHAIN := local

GO          ?= go
BIN         := bin
BUILD_TAGS  ?=

.PHONY: all deps build run demo screenshots test compat bench lint package clean

all: build

deps:
	scripts/install-deps

build:
	@mkdir -p $(BIN)
	$(GO) build -tags "$(BUILD_TAGS)" -o $(BIN)/restic-manager ./desktop
	$(GO) build -o $(BIN)/restic-agent ./agent

run: build
	LANG=en_US.UTF-8 $(BIN)/restic-manager $(ARGS)

demo:
	scripts/demo

screenshots:
	scripts/screenshots

test:
	scripts/test $(TESTFLAGS)

compat:
	scripts/compat $(addprefix --restic ,$(VERSIONS)) $(TESTFLAGS)

bench:
	scripts/bench

lint:
	scripts/lint $(PKGS)

package:
	scripts/package

clean:
	rm -rf $(BIN) dist
