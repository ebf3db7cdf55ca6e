"""The read side never loads torch: `eddy status`, `eddy versions` and the ops console only
read Redis, Kafka and the registry, and torch with transformers costs them about 3.5 s at
start and 280 MB of memory (measured on the 2-core development machine)."""

from __future__ import annotations

import subprocess
import sys

READ_SIDE = [
    "services.app.console",
    "services.app.opsfacts",
    "services.cli.status",
    "services.cli.models",
    "services.cli.opsconsole",
]


def test_the_read_side_imports_no_torch() -> None:
    code = (
        f"import sys\nfor m in {READ_SIDE!r}: __import__(m)\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
