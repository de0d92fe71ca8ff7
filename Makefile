# 12333 smart customer service. `make run` starts everything; `make test` tests everything.
SHELL := /bin/bash
APP := .venv/app/bin
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup paddle run train test lint typecheck unit integration bench screenshots clean soak

setup:
	@bash scripts/debian-packages.sh
	@scripts/setup.sh

# PaddleSpeech's environment: the tests run its loading and inference code on tiny models.
paddle: setup
	@scripts/setup.sh paddle

run: setup
	@$(APP)/hotline run

train: setup
	@$(APP)/hotline train

lint: setup
	$(APP)/ruff check hotline channels actions bot bench business fakes speech voice tests
	$(APP)/hotline kb lint

typecheck: setup
	$(APP)/mypy

unit: setup
	$(APP)/pytest -q tests/unit

integration: setup
	$(APP)/hotline train
	$(APP)/pytest -q tests/integration

# The PaddleSpeech environment (~6 minutes, mostly downloads and unpacking) is made while
# Rasa trains; its output is shown only if it fails.
test: lint typecheck
	@mkdir -p build; scripts/setup.sh paddle > build/paddle-setup.log 2>&1 & paddle=$$!; \
	  $(APP)/hotline train; trained=$$?; \
	  wait $$paddle || { cat build/paddle-setup.log; exit 1; }; tail -1 build/paddle-setup.log; \
	  exit $$trained
	$(APP)/pytest -q --durations=25 tests

# 30 minutes of mixed-channel load on a private stack (not part of `make test`);
# `make soak SOAK_MINUTES=3` for a short run, SOAK_PACE=1 (seconds between a citizen's
# answer and next message; 2 by default) to go past capacity. Figures: BENCHMARKS.md, "soak".
soak: setup
	$(APP)/python -m bench.soak --minutes $(or $(SOAK_MINUTES),30) --pace $(or $(SOAK_PACE),2)

screenshots: setup
	@$(APP)/hotline screenshots

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
