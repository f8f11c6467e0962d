# Statboard: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app statboard
# `make bench BENCH_ARGS=--quick`: a smoke run of every benchmark (see bench/run_all.py).
BENCH_ARGS ?=
# Debian packages of the real servers and the browser that the tests start.
TEST_DEBS := redis-server postgresql chromium wrk
# And what `make bench` needs besides, unless the machine has it from elsewhere: npm
# installs Lighthouse (bench/lighthouse.py).
BENCH_DEBS := npm

.PHONY: run test install install-test debs bench-debs migrate worker bench lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python debs
	$(BIN)/pip install -q -e '.[test]'

debs:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	$(FLASK) db upgrade

run: migrate
	$(BIN)/python run.py

worker: install
	$(BIN)/celery -A statboard.tasks.celery_app worker --loglevel=info

test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench-debs:
	@command -v npm >/dev/null || $(MAKE) --no-print-directory debs TEST_DEBS="$(BENCH_DEBS)"

bench: install-test bench-debs
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache
