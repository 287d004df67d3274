"""The ``budgetlint`` console script: the same command line as the Rust binary."""

from __future__ import annotations

import signal
import sys

from budgetlint import _budgetlint


def main() -> None:
    # The work runs in Rust without returning to the interpreter; let Ctrl-C stop it at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.exit(_budgetlint.run_cli(["budgetlint", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
