# Restic Manager — see README.md. Every target uses the installed Go
# (GOTOOLCHAIN=local): the toolchain is never downloaded.
#
#   make deps      system packages the build and tests need (scripts/install-deps)
#   make build     bin/restic-manager and bin/restic-agent
#   make run       build, then start the manager (ARGS="--headless …")
#   make demo      a manager and agents on this machine, end to end
#   make screenshots  docs/screenshots/*.png from the running demo under Xvfb (scripts/screenshots)
#   make test      deps, go vet, then every test (scripts/test; TESTFLAGS="-run X -count=1")
#   make bench     every benchmark once (scripts/bench)
#   make lint      gofmt, go vet, staticcheck (PKGS=./protocol/... to narrow)
#   make package   release binaries into dist/ (scripts/package)

export GOTOOLCHAIN := local

GO          ?= go
BIN         := bin

# Programs: <binary>:<package dir>.
PROGRAMS := restic-manager:desktop restic-agent:agent

.PHONY: all deps build run demo screenshots test bench lint package clean

all: build

deps:
	scripts/install-deps

# Builds each program whose package exists, and says which it skipped:
# the repository grows package by package, and build works at every step.
build:
	@mkdir -p $(BIN)
	@set -e; for p in $(PROGRAMS); do \
		name=$${p%%:*}; dir=$${p#*:}; \
		if ls "$$dir"/*.go >/dev/null 2>&1; then \
			echo "go build -o $(BIN)/$$name ./$$dir"; \
			$(GO) build -o $(BIN)/$$name ./$$dir; \
		else \
			echo "build: skipping $$name: package ./$$dir does not exist yet"; \
		fi; \
	done

run: build
	@test -x $(BIN)/restic-manager || { echo "run: bin/restic-manager was not built (./desktop does not exist yet)" >&2; exit 1; }
	LANG=en_US.UTF-8 $(BIN)/restic-manager $(ARGS)

demo:
	scripts/demo

screenshots:
	scripts/screenshots

test:
	scripts/test $(TESTFLAGS)

bench:
	scripts/bench

lint:
	scripts/lint $(PKGS)

package:
	scripts/package

clean:
	rm -rf $(BIN) dist
