# Two commands do everything: `make run` and `make test`. Both build .venv from nothing.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: setup run test test-fast lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/.installed

# The example platinum customer's SSO client secret is a reference, env:GLOBEX_OIDC_SECRET;
# for the local site a stand-in value will do (set your own to override it).
export GLOBEX_OIDC_SECRET ?= local-site-stand-in

# The main job: validate the specs, then plan and apply them to the local site (.asp/site/).
run: setup
	$(BIN)/asp-provision validate
	$(BIN)/asp-provision apply --yes

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd playbooks && PATH="$(abspath $(BIN)):$$PATH" ansible-lint --offline --profile production .

# Everything CI runs: lint, types, and every test (the slow ones run real Ansible), on
# every core; a test file stays on one worker, so its applied workspace is made once.
test: lint
	$(BIN)/pytest -q -n auto --dist loadfile

# The quick loop: every test but those that run Ansible.
test-fast: setup
	$(BIN)/pytest -q -n auto -m "not slow"
