"""Shared by the notebooks: run budgetsim to produce the folder a notebook reads, and
format numbers for people. Notebooks read only what the CLI writes (docs/outputs.md).

The binary is $BUDGETSIM when set, else `budgetsim` on the PATH (after `cargo install
--path .`), else `cargo run --release` in this checkout. $BUDGETSIM_PORTFOLIOS lowers
the portfolio count (the notebook check in CI uses it to stay quick).
"""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output" / "notebooks"


def command():
    """The command that runs budgetsim, as a list."""
    given = os.environ.get("BUDGETSIM")
    if given:
        return [given]
    installed = shutil.which("budgetsim")
    if installed:
        return [installed]
    return ["cargo", "run", "--release", "--quiet", "--manifest-path", str(ROOT / "Cargo.toml"), "--"]


def portfolios(default):
    """The portfolio count to ask for: `default`, or $BUDGETSIM_PORTFOLIOS."""
    return str(os.environ.get("BUDGETSIM_PORTFOLIOS", default))


def budgetsim(*args, out):
    """Runs `budgetsim ARGS --out OUTPUT/out --quiet` from the repository root and
    returns the folder it wrote."""
    folder = OUTPUT / out
    subprocess.run(command() + [*map(str, args), "--out", str(folder), "--quiet"],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return folder


def money(x):
    """Dollars for people: $1.23M, $456k, -$12.3M."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e9:
        return f"{sign}${x / 1e9:.2f}B"
    if x >= 1e6:
        return f"{sign}${x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{sign}${x / 1e3:.0f}k"
    return f"{sign}${x:.0f}"


def diff(x):
    """A difference in dollars with its sign: +$1.02M."""
    return ("+" if x >= 0 else "") + money(x)


def pct(x, digits=1):
    """A share as a percentage: 0.236 -> 23.6%."""
    return f"{100 * x:.{digits}f}%"
