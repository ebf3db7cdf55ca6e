"""``python -m services.cli``: the `eddy` command (tests and `eddy up` start children so)."""

from services.cli import main

main()
