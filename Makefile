# 12333 smart customer service. `make run` starts everything; `make test` tests everything.
SHELL := /bin/bash
APP := .venv/app/bin
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup run train test lint typecheck unit integration bench screenshots clean

setup:
	@bash scripts/debian-packages.sh
	@scripts/setup.sh

run: setup
	@$(APP)/hotline run

train: setup
	@$(APP)/hotline train

lint: setup
	$(APP)/ruff check hotline channels actions bot bench business fakes tests
	$(APP)/hotline kb lint

typecheck: setup
	$(APP)/mypy

unit: setup
	$(APP)/pytest -q tests/unit

integration: setup
	$(APP)/hotline train
	$(APP)/pytest -q tests/integration

test: lint typecheck
	$(APP)/hotline train
	$(APP)/pytest -q tests

screenshots: setup
	@$(APP)/hotline screenshots

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
