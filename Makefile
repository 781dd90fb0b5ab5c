# Two commands set everything up on a fresh Debian 12 / Raspberry Pi OS machine: `make run`, `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench reliability clean debs venv

debs:
	@tools/ensure-debian-packages.sh

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]' --config-settings editable_mode=compat
	@touch $(STAMP)

venv: $(STAMP)

run: debs $(STAMP)
	$(BIN)/python -m kiosk run

test: debs $(STAMP)
	$(BIN)/python -m pytest -q

bench: debs $(STAMP)
	@# Every bench runs; each prints its targets as ratios (TARGET PASS/MISS). Fails if any missed.
	@status=0; for b in bench/*.py; do [ $$b = bench/targets.py ] && continue; echo "== $$b"; \
	  $(BIN)/python $$b || { status=1; echo "== $$b: a target was missed"; }; done; exit $$status

reliability: debs $(STAMP)
	@mkdir -p var/reliability && rm -f var/reliability/results.json
	KIOSK_RELIABILITY_RESULTS=var/reliability/results.json $(BIN)/python -m pytest -q -m slow; status=$$?; \
	$(BIN)/python tools/reliability_report.py var/reliability/results.json docs/reliability.md --scale full || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache
