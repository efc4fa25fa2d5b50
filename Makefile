# Every target installs what it needs first; `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYWB_VENV := .venv-pywb
REPLAYWEB_DIR := .replayweb
REPLAYWEB_VERSION := 2.5.3
# sha256 of replaywebpage-2.5.3.tgz as the registry serves it (npm pack also checks its sha512)
REPLAYWEB_SHA256 := b7d35c39c4da9b7121c5a393911d8675d4cc6f19513c380191e16b086bea812c
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install browser services ocr pywb replayweb test run demo bench lint clean

# The project's own modules compiled to bytecode as well: an editable install compiles none, and where
# PYTHONDONTWRITEBYTECODE is set (containers often set it) Python would otherwise compile every module
# again at each start (measured here: 10-30 ms of a command's start-up). Only changed modules are compiled again.
install: $(STAMP)
	@$(BIN)/python -m compileall -q archiver

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# A Chromium for Playwright: Debian's package when we can install it (root + apt), else Playwright's download.
browser: install
	@if [ -x /usr/bin/chromium ] || [ -n "$$ARCHIVER_CHROMIUM" ] || ls $$HOME/.cache/ms-playwright/chromium-* >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium and fonts (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji fonts-noto-cjk libnss3-tools >/dev/null; \
	else \
	  $(BIN)/playwright install chromium; \
	fi

# Redis and PostgreSQL for the cluster tests, which start their own servers on loopback ports in
# temporary folders (nothing here starts a service). Debian's packages, installed as root when missing.
services:
	@if command -v redis-server >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's redis-server and postgresql (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server postgresql >/dev/null; \
	else \
	  echo "redis-server and postgresql are missing: install them (the cluster tests will say so)" >&2; \
	fi

# Debian's tesseract: the report test reads a tombstone's words back from its picture by OCR.
ocr:
	@if command -v tesseract >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's tesseract-ocr (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	else \
	  echo "tesseract is missing: install tesseract-ocr (the report's OCR test will say so)" >&2; \
	fi

# pywb pins old dependencies (redis, Werkzeug, an older cryptography): it gets its own virtualenv.
pywb: $(PYWB_VENV)/.installed

$(PYWB_VENV)/.installed:
	$(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/pip install --quiet pywb
	touch $@

# ReplayWeb.page for the replay and search tests (tests/replayweb_harness.py): the npm package's own
# tarball, unpacked into $(REPLAYWEB_DIR)/package. Its index.html, ui.js and sw.js carry everything they
# need, so no dependency is installed. Without npm the tests skip, except under CI=true.
replayweb: $(REPLAYWEB_DIR)/package/.installed-$(REPLAYWEB_VERSION)

$(REPLAYWEB_DIR)/package/.installed-$(REPLAYWEB_VERSION):
	@if ! command -v npm >/dev/null; then \
	  echo "npm is missing: the ReplayWeb.page tests will skip (install Node.js and npm)" >&2; \
	  [ "$$CI" != true ] || exit 1; \
	else \
	  rm -rf $(REPLAYWEB_DIR) && mkdir -p $(REPLAYWEB_DIR) && cd $(REPLAYWEB_DIR) && \
	  npm pack --silent replaywebpage@$(REPLAYWEB_VERSION) >/dev/null && \
	  echo "$(REPLAYWEB_SHA256)  replaywebpage-$(REPLAYWEB_VERSION).tgz" | sha256sum --check --quiet && \
	  tar xzf replaywebpage-$(REPLAYWEB_VERSION).tgz && rm replaywebpage-$(REPLAYWEB_VERSION).tgz && \
	  touch package/.installed-$(REPLAYWEB_VERSION); \
	fi

# Three test processes on two cores: many tests wait (on subprocesses, drips, deadlines, timeouts
# that must pass), so a third keeps both cores busy (measured here: 9.5 min against 11.5-16 min with two).
test: install browser pywb replayweb services ocr
	$(BIN)/pytest -n 3 --dist loadfile $(PYTEST_ARGS)

# The main job: a scheduled-style run over seeds/ into archives/. Exit 1 (some posts unavailable,
# e.g. offline) still counts as a completed run.
run: install browser
	$(BIN)/archiver run --seeds seeds --archive-dir archives; rc=$$?; [ $$rc -le 1 ] || exit $$rc

# The whole pipeline offline against the local impersonating server the tests use.
demo: install browser
	$(BIN)/python -m tests.demo

# Every performance ratio in one run (bench/all.py runs each bench script in turn; about half an
# hour, and an hour more the first time, to build the 1M-post lookup index).
bench: install browser
	$(BIN)/python bench/all.py

lint: install
	$(BIN)/pip install --quiet -e '.[lint]'
	$(BIN)/ruff check archiver tests bench
	$(BIN)/mypy archiver

clean:
	rm -rf $(VENV) $(PYWB_VENV) $(REPLAYWEB_DIR) .pytest_cache
