#!/usr/bin/env bash
# Regenerates the evidence the example's gates read, with real pytest and coverage.py.
# Run from anywhere; needs pytest and coverage in the active environment.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf reports coverage.xml .coverage
# A failing test must not stop the evidence from being written: the gate judges it.
python -m coverage run --branch --source=webshop -m pytest -q tests/unit --junitxml=reports/junit/unit.xml -o junit_suite_name=unit || true
python -m coverage run --append --branch --source=webshop -m pytest -q tests/integration --junitxml=reports/junit/integration.xml -o junit_suite_name=integration || true
python -m coverage xml -o coverage.xml
rm -f .coverage
