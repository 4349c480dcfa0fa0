"""The allocator settings a night takes (glibc's mallopt) and the trim after preparing, through one
lookup of the C library per process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reunite import pipeline


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator")
def test_a_night_keeps_freed_blocks_for_reuse_and_fewer_pages_fault_in() -> None:
    # temporaries of many sizes freed while small results stay (a screen's chunks): the heap's top is
    # handed back and faulted in again, or larger blocks mapped afresh, unless freed blocks are kept
    code = ("import resource, sys, numpy as np\n"
            "from reunite import pipeline\n"
            "if sys.argv[1] == 'reuse':\n"
            "    assert pipeline.reuse_freed_memory()\n"
            "before, kept = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, []\n"
            "for i in range(200):\n"
            "    temporary = np.ones((1 + i % 7) * 200_000)\n"
            "    if i % 3 == 0:\n"
            "        kept.append(np.ones(50_000))\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)")
    faults = {mode: int(subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True,
                                       check=True).stdout) for mode in ("reuse", "default")}
    assert faults["reuse"] * 4 < faults["default"], faults


def test_the_c_library_is_looked_up_once() -> None:
    assert pipeline._glibc() is pipeline._glibc()
    pipeline._return_freed_memory()  # a no-op where the C library is not glibc
