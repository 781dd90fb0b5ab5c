# Two commands set everything up on a fresh Debian 12 / Raspberry Pi OS machine: `make run`, `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench reliability clean debs venv lock wheelhouse release arm64-check

debs:
	@tools/ensure-debian-packages.sh

$(STAMP): setup.cfg pyproject.toml setup.py
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: debs $(STAMP)
	$(BIN)/python -m kiosk run

test: debs $(STAMP)
	$(BIN)/ruff check .
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

# requirements/kiosk-{aarch64,x86_64}.txt: exact versions and hashes (after changing install_requires)
lock:
	tools/lock.sh

# One folder with every aarch64 cp311 wheel the Pi installs, the kiosk's own wheel and the lock:
# copy it to the Pi (scp -r var/wheelhouse-aarch64 pi:) and run install.sh --wheelhouse on it.
wheelhouse:
	tools/wheelhouse.sh aarch64 var/wheelhouse-aarch64

# dist/: the kiosk wheel and kantor-kiosk-VERSION-install.tar.gz (installer, units, docs, lock).
release:
	tools/release.sh dist

# Not part of `make test`: a Debian 12 arm64 root under var/arm64 (debootstrap + qemu-user-static),
# install.sh --root --wheelhouse into it, then the installed kiosk run there under emulation.
arm64-check: debs
	tools/arm64-check.sh var/arm64

clean:
	rm -rf $(VENV) var build dist *.egg-info .pytest_cache
