#!/usr/bin/env bash
# Runs every notebook headless, top to bottom, in a virtual environment this script
# creates from requirements.txt; a cell that fails fails the script (CI runs it).
#   notebooks/check.sh [BUDGETSIM_BINARY]
# The binary defaults to target/release/budgetsim (built if missing). The notebooks
# simulate $BUDGETSIM_PORTFOLIOS portfolios per run (default here 200, to stay quick).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/budgetsim}"
if [ ! -x "$BIN" ]; then
  cargo build --release
fi
VENV="${NOTEBOOK_VENV:-target/notebook-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt
"$VENV/bin/python" -m ipykernel install --prefix "$VENV" --name python3 > /dev/null
export BUDGETSIM="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
export BUDGETSIM_PORTFOLIOS="${BUDGETSIM_PORTFOLIOS:-200}"
export MPLBACKEND=Agg
"$VENV/bin/python" - <<'PY'
import pathlib, sys, time
import nbformat
from nbclient import NotebookClient
failed = []
for path in sorted(pathlib.Path("notebooks").glob("*.ipynb")):
    nb = nbformat.read(path, as_version=4)
    started = time.time()
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": "notebooks"}}).execute()
        print(f"ok    {path.name} ({time.time() - started:.0f} s)")
    except Exception as e:
        failed.append(path.name)
        print(f"FAIL  {path.name}: {e}", file=sys.stderr)
sys.exit(1 if failed else 0)
PY
