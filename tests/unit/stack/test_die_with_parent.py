"""A child started with ``die_with_parent`` does not outlive a parent killed with SIGKILL (a
stack's servers when `eddy up` is killed; the tests' Label Studio migration when pytest is)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

PARENT = """
import subprocess, sys
from services.stack.process import die_with_parent
child = subprocess.Popen(["sleep", "60"], preexec_fn=die_with_parent)
print(child.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_goes_when_its_parent_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # Reaped by init once it exits; a zombie in between still answers signal 0.
        with open(f"/proc/{child}/stat") as f:
            if f.read().split(") ", 1)[1].startswith("Z"):
                return
        time.sleep(0.05)
    os.kill(child, 9)
    pytest.fail("the child outlived its killed parent")
