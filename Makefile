# Two entry points: `make demo` and `make test`. Both create the environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/campaigns demo

lint: $(STAMP)
	$(BIN)/ruff check campaigns channels simulator worker.py tests bench
	$(BIN)/ruff format --check campaigns channels simulator worker.py tests bench
	$(BIN)/mypy campaigns channels simulator worker.py

# The browser tests drive Debian's Chromium and the IMAP tests a Dovecot of their own; a
# machine without them gets them here (as root, as CI runs), and a failed install fails the
# target instead of skipping those tests.
CHROMIUM := /usr/bin/chromium
DOVECOT := /usr/sbin/dovecot

$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

$(DOVECOT):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd

test: lint $(CHROMIUM) $(DOVECOT)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
