# reelgraph: two commands on a fresh machine.
#   make demo   installs everything (Debian packages, .venv) and renders the examples into out/
#   make test   installs the development dependencies and runs the whole suite
# Both are idempotent: stamps under .venv/ skip the install steps when nothing changed.

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
PIP := $(PYTHON) -m pip --disable-pip-version-check
REELGRAPH := $(VENV)/bin/reelgraph
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# torch and torchvision first, at versions this machine keeps on disk: a newer torch pulled in by
# another package would be a multi-GB CUDA download.
TORCH := torch==2.14.1 torchvision==0.29.1

WEB := flows/studio/web

.PHONY: install dev ui demo test lint bench schemas clean

install: $(VENV)/.runtime
dev: $(VENV)/.dev

$(VENV)/.debian: .ci/debian-packages.txt
	@missing=$$(grep -v '^\s*#' $< | xargs -r -n1 sh -c 'dpkg -s "$$0" >/dev/null 2>&1 || echo "$$0"'); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

$(VENV)/.runtime: pyproject.toml $(VENV)/.debian
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) install -q -e '.[dev]'
	@touch $@

# The studio's web editor (React + React Flow), built by esbuild into flows/studio/static/, which
# `reelgraph ui` serves at / (package data; not committed). Needs Node >= 18 and npm.
ui: $(WEB)/node_modules/.package-lock.json
	cd $(WEB) && node build.mjs

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json $(WEB)/package.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error

# The main job: every example graph rendered into out/ (a second `make demo` is all cache hits).
# Every video is signed with the local key in .reelgraph/keys/ (made once; `keys init` keeps an
# existing key), and every MP4 written to out/ is verified at the end.
demo: install ui
	$(PYTHON) examples/build_tiny_models.py
	$(REELGRAPH) keys init
	$(REELGRAPH) run examples/hello.yaml --out out/hello
	$(REELGRAPH) run examples/explainer.yaml --out out/explainer
	$(REELGRAPH) run examples/campaign.yaml --out out/campaign
	$(REELGRAPH) run examples/keyframes_tiny.yaml --out out/keyframes_tiny
	$(REELGRAPH) run examples/directing.yaml --out out/directing
	$(REELGRAPH) run examples/seed_sweep.yaml --out out/seed_sweep
	$(REELGRAPH) storyboard examples/storyboard.yaml --out out/storyboard
	@for video in out/*/*.mp4; do $(REELGRAPH) verify "$$video" >/dev/null || exit 1; done
	@echo "rendered into out/: $$(find out -type f | wc -l) files; every MP4 verifies (reelgraph verify)"

test: dev ui
	$(VENV)/bin/pytest

lint: dev
	$(VENV)/bin/ruff check .

bench: install
	$(PYTHON) -m bench.overhead
	$(PYTHON) -m bench.interpolation
	$(PYTHON) -m bench.encode

schemas: install
	$(PYTHON) -m reelgraph.ui_schemas.generate ui_schemas

clean:
	rm -rf .reelgraph out flows/studio/static
