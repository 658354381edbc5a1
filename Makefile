# 党支部标准化考评 — `make run` to try it, `make test` to prove it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
MANAGE  := $(BIN)/python manage.py
PORT    ?= 8000
PIP_VERSION := 26.3
# Debian packages the app needs (GROUP=app, a server): CJK fonts and HarfBuzz subsetting for
# WeasyPrint PDFs, postgresql-client (pg_dump and pg_restore for backups), and gcc with the
# OpenLDAP and SASL headers python-ldap compiles against (directory sign-in; PyPI has no
# wheel of it). A developer's or CI's machine (GROUP=dev) adds what the tests use:
# poppler-utils (pdftotext reads PDFs back), Chromium for browser tests, systemd
# (systemd-analyze verifies the shipped units), and OpenLDAP's server slapd with ldap-utils,
# which the directory sign-in tests start on a loopback port; never on a server.
DEBIAN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 postgresql-client gcc libldap2-dev libsasl2-dev
DEBIAN_TEST_PACKAGES := poppler-utils chromium systemd slapd ldap-utils
# Python >= 3.12 (Django 6 refuses 3.11), the first found of: PYTHON=… given to make;
# python3.13 or python3.12 on PATH (Debian 13's python3 is 3.13); one installed system-wide
# under /opt/python3.1x or /usr/local (Debian 12, docs/deploy.md); a developer's pyenv 3.12.
PYTHON ?= $(shell for c in python3.13 python3.12 /opt/python3.1[2-9]/bin/python3.1[2-9] /usr/local/bin/python3.1[2-9]; do \
	  if $$c -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then echo $$c; exit; fi; done; \
	  if command -v pyenv >/dev/null; then \
	    v=$$(pyenv versions --bare | grep -E '^3\.1[2-9]' | sort -V | head -n1); \
	    [ -n "$$v" ] && echo "$$(pyenv root)/versions/$$v/bin/python3"; fi)
# Offline installs (an intranet without PyPI or the npm registry): `make wheelhouse
# WHEELHOUSE=DIR` on a machine with internet access fills DIR with every wheel and front-end
# package; `make install WHEELHOUSE=DIR` on the server then takes them from there only.
WHEELHOUSE ?=
# The dependency group `make install` installs: dev (the app, tests and linters) or, on a
# server, app alone.
GROUP ?= dev
PIP_FROM := $(if $(WHEELHOUSE),--no-index --find-links $(abspath $(WHEELHOUSE)))
# The CAS server the single sign-on tests start (dev only): django-cas-server declares
# Django < 5.3, so it gets a virtualenv of its own beside the app's.
CAS_VENV := .venv-cas
CAS_REQUIREMENTS := tests/sso/cas_server/requirements.txt
NPM_FROM := $(if $(WHEELHOUSE),--offline --cache $(abspath $(WHEELHOUSE))/npm)

.PHONY: help install system-deps check-python wheelhouse upgrade run serve test test-sqlite test-postgres lint bench clean

help:
	@echo "make run   — install, migrate, load demo data, serve on http://127.0.0.1:$(PORT)/ with the task worker"
	@echo "make serve — as in production: migrate, collectstatic, gunicorn (2×cores+1 workers) + supervised task worker"
	@echo "make test  — install, lint (ruff, mypy), check migrations, run the suite on SQLite (and PostgreSQL if DATABASE_URL is set)"
	@echo "make bench — one table of the hot paths beside their floors (SQLite, PostgreSQL if DATABASE_URL is set) + a gunicorn load test"
	@echo "make lint  — ruff (lint and format), mypy, makemigrations --check"
	@echo "make test-sqlite / make test-postgres — the suite on one database (test-postgres needs DATABASE_URL)"
	@echo "make clean — remove the virtualenv, node_modules, var/ and the tools' caches"
	@echo "make upgrade — on a server, as the service user (docs/deploy.md): install, migrate, load_rubrics, collectstatic"
	@echo "make wheelhouse WHEELHOUSE=DIR — every wheel and front-end package for an offline install (make install WHEELHOUSE=DIR)"

system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES) $(if $(filter dev,$(GROUP)),$(DEBIAN_TEST_PACKAGES)); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages: $$missing"; \
	    echo "Install them first, as root:  apt-get install $$missing"; exit 1; \
	  fi; \
	fi

$(BIN)/.installed: pyproject.toml constraints.txt package.json package-lock.json $(CAS_REQUIREMENTS)
	@$(MAKE) --no-print-directory system-deps
	@$(MAKE) --no-print-directory check-python
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(PIP_FROM) pip==$(PIP_VERSION)
	$(BIN)/pip install -q $(PIP_FROM) --group $(GROUP) -c constraints.txt
	npm ci --no-audit --no-fund --silent $(NPM_FROM)
	@if [ "$(GROUP)" = dev ]; then \
	  [ -x $(CAS_VENV)/bin/python ] || $(PYTHON) -m venv $(CAS_VENV); \
	  $(CAS_VENV)/bin/pip install -q $(PIP_FROM) -r $(CAS_REQUIREMENTS); \
	fi
	@touch $@

install: $(BIN)/.installed

# The interpreter .venv is made from must be one the service can run: a service install (a
# system account runs make, or owns this checkout, or SERVICE=1) refuses one in a home
# directory: the service user may not read /root, and the units' ProtectHome=yes hides /home.
check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python >= 3.12 is required: Debian 13's python3, or on Debian 12 one installed"; \
	  echo "system-wide (e.g. /opt/python3.12), then PYTHON=/opt/python3.12/bin/python3.12 make install."; \
	  echo "See docs/deploy.md."; exit 1; fi
	@real=$$($(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null \
	         || realpath -m "$$(command -v $(PYTHON) || echo $(PYTHON))"); \
	uid=$$(id -u); owner=$$(stat -c %u .); \
	case "$$real" in /root/*|/home/*) \
	  if [ -n "$(SERVICE)" ] || { [ "$$uid" -ge 1 ] && [ "$$uid" -lt 1000 ]; } \
	     || { [ "$$owner" -ge 1 ] && [ "$$owner" -lt 1000 ]; }; then \
	    echo "Refusing $(PYTHON) ($$real) for a service install: it lies in a home directory,"; \
	    echo "which the service user cannot read (and systemd's ProtectHome=yes hides)."; \
	    echo "Install Python >= 3.12 system-wide (e.g. /opt/python3.12) and run"; \
	    echo "  PYTHON=/opt/python3.12/bin/python3.12 make install    (docs/deploy.md)"; exit 1; \
	  fi;; esac

# Every wheel and front-end package `make install` needs, into WHEELHOUSE (run where PyPI and
# the npm registry answer, on the server's Debian release, architecture and Python minor
# version). A throwaway venv holds the pip that reads dependency groups; nothing is installed.
# `pip wheel`, not `pip download`: a package PyPI has only as source (python-ldap) is built
# here, where its compiler and headers are, so the server never builds anything offline.
wheelhouse:
	@if [ -z "$(WHEELHOUSE)" ]; then echo "Usage: make wheelhouse WHEELHOUSE=DIR"; exit 1; fi
	@if [ -z "$(PYTHON)" ]; then echo "Python >= 3.12 is required (PYTHON=…)."; exit 1; fi
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && set -e && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install -q pip==$(PIP_VERSION) && \
	"$$tmp/venv/bin/pip" wheel -q -w $(abspath $(WHEELHOUSE)) pip==$(PIP_VERSION) --group $(GROUP) -c constraints.txt && \
	if [ "$(GROUP)" = dev ]; then "$$tmp/venv/bin/pip" wheel -q -w $(abspath $(WHEELHOUSE)) -r $(CAS_REQUIREMENTS); fi && \
	cp package.json package-lock.json "$$tmp/" && \
	npm ci --no-audit --no-fund --silent --prefix "$$tmp" --cache $(abspath $(WHEELHOUSE))/npm
	@echo "Wheelhouse ready: $(abspath $(WHEELHOUSE))"

# A server's first setup and every upgrade (docs/deploy.md), as the service user with the env
# file's settings: dependencies, migrations, the shipped rubrics (new ones and new versions),
# collected static files. Restart the services afterwards.
upgrade: install
	@mkdir -p var/media  # the backup archives it, uploads or not
	$(MANAGE) migrate --noinput
	$(MANAGE) load_rubrics
	$(MANAGE) collectstatic --noinput --verbosity 0

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_rubrics
	$(MANAGE) load_demo
	@echo ""
	@echo "  党支部标准化考评 is running at  http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins (password for all: Dangjian@2026):"
	@echo "    sj01  支部书记 (炼钢一作业区党支部)     sj02  支部书记 (一号煤矿党支部)"
	@echo "    kp01  考评员                             dq01  党群部管理员"
	@echo "    ld01  领导                               xt01  系统管理员 (accounts only)"
	@echo "    aq01  安全管理员 (role grants, password-reset approvals)"
	@echo "    sh01  审计员 (audit trail, read-only)"
	@echo "    kp02 / kp03 / kp04  互评考评员 (华西特钢 / 能化 / 物流)"
	@echo "    sj21 / sj22  支部书记 (热电厂 / 化工分厂: 结对、互查、责任岗)"
	@echo "    bf01 / bf02  结对帮扶人          hc01 / hc02  互查人员"
	@echo "  dq01 / xt01 / sh01 / aq01 then ask for a code: run  $(MANAGE) otp_code dq01  (demo accounts only)"
	@echo ""
	@$(MANAGE) supervise_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Production serving on this machine: PostgreSQL from DATABASE_URL (SQLite without it),
# static files collected, hashed and compressed (WhiteNoise), gunicorn with
# GUNICORN_WORKERS (default 2 × cores + 1), the task worker restarted whenever it exits.
# No demo data: run `make run` once first to try it with the demo logins.
serve: export DJANGO_STATIC_COLLECTED = 1
serve: export GUNICORN_BIND ?= 127.0.0.1:$(PORT)
serve: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_rubrics
	$(MANAGE) collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  党支部标准化考评 (production mode) at  http://$$GUNICORN_BIND/"
	@echo ""
	@$(MANAGE) supervise_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --config config/deploy/gunicorn.conf.py

# mypy keeps its cache in .mypy_cache: a few seconds once warm (half a minute cold).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MANAGE) makemigrations --check --dry-run

# The suite runs on TEST_WORKERS processes (pytest-xdist; `auto` = one per core, at most 4),
# each with its own test database (test.sqlite3_gw0, test_<name>_gw0, …); each test file
# stays on one worker, so a module's shared objects are built once. TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=4 --dist loadfile

# Tests of a data migration need the real migrations (the suite builds its databases from
# the models): they run once more, on their own, with --migrations.
MIGRATION_TESTS := tests/assessments/test_one_problem_list_migration.py

test: lint
	@echo "== test suite on SQLite"
	env -u DATABASE_URL $(PYTEST)
	env -u DATABASE_URL $(BIN)/pytest -q --migrations $(MIGRATION_TESTS)
	@if [ -n "$$DATABASE_URL" ]; then \
	  echo "== test suite on PostgreSQL ($${DATABASE_URL%%\?*})"; \
	  $(PYTEST) && $(BIN)/pytest -q --migrations $(MIGRATION_TESTS); \
	else echo "(DATABASE_URL not set: PostgreSQL run skipped)"; fi

# One database at a time (the parts of `make test`).
test-sqlite: lint
	env -u DATABASE_URL $(PYTEST)
	env -u DATABASE_URL $(BIN)/pytest -q --migrations $(MIGRATION_TESTS)

test-postgres: lint
	@if [ -z "$$DATABASE_URL" ]; then echo "Set DATABASE_URL (postgres://user@127.0.0.1:5432/db) first."; exit 1; fi
	$(PYTEST)
	$(BIN)/pytest -q --migrations $(MIGRATION_TESTS)

bench: install
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) $(CAS_VENV) node_modules var .pytest_cache .ruff_cache .mypy_cache
