#!/usr/bin/env bash
# Quick start: install budgetlint (release build) into .venv and check the bundled example workbook.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${BUDGETLINT_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
echo "Building budgetlint (release). A cold build takes 7–20 minutes on 2 cores (longer when they are busy) and under 1 GB of disk (the tests' build, about 2.5 GB)."
"$VENV/bin/python" -m pip install --progress-bar off .
echo
echo "\$ budgetlint check --fail-on never examples/附件1-月坛街道-2020.xlsx"
# The example is the seed report's own 附件1: its five wrong ratios are the expected output, so
# --fail-on never keeps this script's exit code about the installation, not about the workbook.
"$VENV/bin/budgetlint" check --fail-on never "examples/附件1-月坛街道-2020.xlsx"
echo
echo "budgetlint is installed in $VENV/bin. To have it (and python with budgetlint importable) on your PATH:"
echo "    source $VENV/bin/activate"
echo "or call it as $VENV/bin/budgetlint. Notebooks: see README.md (\"Notebooks\")."
