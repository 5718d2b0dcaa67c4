#!/usr/bin/env bash
# Regenerates the evidence the example's gates read, with the real tools:
#   pytest + coverage.py (JUnit, coverage.xml), ruff (lint SARIF), bandit (SAST SARIF, the
#   example's vulnerability scan), kingfisher (secrets SARIF).
# Needs them in the active environment: pip install pytest coverage ruff 'bandit[sarif]' kingfisher-bin
set -euo pipefail
cd "$(dirname "$0")"
rm -rf reports coverage.xml .coverage
mkdir -p reports/sarif

# A tool that reports findings (a failing test, a lint error...) must not stop the evidence
# from being written: the gates judge it. Any other exit status is a real error.
allow() { local ok=$1; shift; "$@" || [ $? -eq "$ok" ]; }

allow 1 python -m coverage run --branch --source=webshop -m pytest -q tests/unit --junitxml=reports/junit/unit.xml -o junit_suite_name=unit
allow 1 python -m coverage run --append --branch --source=webshop -m pytest -q tests/integration --junitxml=reports/junit/integration.xml -o junit_suite_name=integration
python -m coverage xml -o coverage.xml
rm -f .coverage

ruff check --output-format sarif webshop tests > reports/sarif/lint.sarif || [ $? -eq 1 ]
allow 1 bandit -q -r webshop -f sarif -o reports/sarif/vulns-bandit.sarif
kingfisher scan webshop tests --format sarif --no-update-check > reports/sarif/secrets.sarif 2>/dev/null || [ $? -eq 200 ]
