# Two commands on a fresh machine with Python 3.11 and make: `make demo`, then `make test`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export PIPELINE_HOME ?= $(CURDIR)/var
export GX_ANALYTICS_ENABLED := False

AIRFLOW_HOME ?= $(CURDIR)/var/airflow

.PHONY: setup demo test lint format clean airflow serve

# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set, every process would otherwise recompile GX and
# Airflow from source on import (seconds each).
.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user --break-system-packages uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# The repository's own modules are compiled as well: compileall writes them even where PYTHONDONTWRITEBYTECODE is
# set (as in many containers, and on this project's machines), and skips those up to date. Uncompiled, every
# process compiled what it imported again: 0.6 s of the yardstick's 11 s (docs/performance.md, session 49).
setup: .venv/.synced  ## install uv if missing, sync the locked environment, compile the repository's modules
	@$(UV) run --frozen python -m compileall -q pipeline dags deploy demo tests >/dev/null
	@$(UV) run --frozen python -m compileall -q -l bench >/dev/null  # not bench/out, the benchmark's files

# The report's path is printed again last: the night's output and the portal login would bury `pipeline run`'s.
demo: setup  ## create the data root $(PIPELINE_HOME), write the demo inbox, run the nightly job, make a portal login
	$(UV) run --frozen pipeline init
	$(UV) run --frozen python demo/make_inbox.py
	$(UV) run --frozen pipeline run
	$(UV) run --frozen python demo/portal_account.py
	$(UV) run --frozen python demo/report_path.py

# Plain http is allowed only because it listens on 127.0.0.1; behind the bureau's proxy leave it unset (README).
serve: export PIPELINE_PORTAL_ALLOW_HTTP ?= 1
serve: setup  ## run the submission portal on http://127.0.0.1:8765 over $(PIPELINE_HOME) (make demo prints a login)
	$(UV) run --frozen pipeline serve

# make test stays under 15 minutes on two cores: the slow and browser tests (make test-slow) and the cluster test
# (make test-cluster) run on their own; CI (.ci/run) runs all three. Tests run in one worker per CPU, four at most
# (pytest-xdist): run one by one, the suite took 13 to 24 minutes on two shared cores, depending on the hour.
PYTEST_WORKERS ?= -n auto --maxprocesses 4
test: setup lint  ## lint, then the test suite but its slow, browser and cluster tests (make test-slow, make test-cluster)
	$(UV) run --frozen pytest -q $(PYTEST_WORKERS) -m "not cluster and not slow and not browser"

.PHONY: test-slow
test-slow: setup  ## the tests that take 5 s or more (Airflow, killed runs, whole nights) or drive Chromium (about 18 minutes)
	$(UV) run --frozen pytest -q -m "(slow or browser) and not cluster"

.PHONY: bench bench-quick
bench: setup  ## benchmark 10,000 synthetic files beside both baselines; figures in README "Performance"
	$(UV) run --frozen python -m bench.run --n 10000

bench-quick: setup  ## the same figures at a small N, in about a minute
	$(UV) run --frozen python -m bench.run --quick

.PHONY: trials
trials: setup  ## crash and hostile-file trials: 20 runs killed while loading, 1,000 mutated workbooks, a hostile night, 600 clerks' edits
	$(UV) run --frozen python -m bench.crash_trials --trials 20
	$(UV) run --frozen python -m bench.hostile_trials --n 1000
	$(UV) run --frozen python -m bench.hostile_trials --night
	$(UV) run --frozen python -m bench.edit_trials --n 600

# Airflow's own state (metadata DB, logs, the admin's password) lives in AIRFLOW_HOME; the DAGs are ours.
airflow: export AIRFLOW_HOME := $(AIRFLOW_HOME)
airflow: export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := False
airflow: export AIRFLOW__CORE__DEFAULT_TIMEZONE := Asia/Shanghai
# The UI's port: deploy/local.py sets the execution API the tasks call to the same server (make airflow PORT=8081).
PORT ?= 8080
airflow: setup  ## run Airflow 3 on http://127.0.0.1:$(PORT) (api-server, scheduler, dag-processor) on dags/ until Ctrl-C
	$(UV) run --frozen python -m deploy.local --port $(PORT)

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

format: setup
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

clean:  ## remove the demo data root (never touches a PIPELINE_HOME outside the repository)
	rm -rf $(CURDIR)/var

# A whole cluster on this machine, every port on 127.0.0.1: Postgres, Redis, a moto S3 server, the api-server,
# scheduler, dag-processor and two Celery workers (the second serves the writer queue). See docs/deploying.md.
.PHONY: cluster cluster-stop test-cluster
cluster: setup  ## start the cluster under var/cluster on $(PIPELINE_HOME); prints the UI address and admin login
	$(UV) run --frozen python -m deploy.cluster start

cluster-stop:  ## stop exactly the processes make cluster started, and its Postgres
	$(UV) run --frozen python -m deploy.cluster stop

test-cluster: setup  ## start a cluster under var/cluster-test, run both DAGs on 211 files, compare with pipeline run
	$(UV) run --frozen pytest -q -s -m cluster tests/cluster
