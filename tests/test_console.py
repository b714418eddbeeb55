"""cnnviz.console: output written after the pipe's reader has gone is dropped, not an error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnnviz import PROJECT_ROOT

# Writes through print, sys.stderr and a logging handler opened before the guard, after the
# reader of the pipe has gone (the parent closes it, then lets the child go on).
CHILD = """
import logging, sys
from cnnviz.console import survive_closed_pipe
early = logging.StreamHandler(sys.stderr)  # like Streamlit's, made before the guard
if {guard}:
    survive_closed_pipe()
sys.stdin.read()  # until the parent has closed the pipe's reading end
print("Stopping..." * 10_000, flush=True)
sys.stderr.write("and more\\n")
sys.stderr.flush()
early.emit(logging.makeLogRecord({{"msg": "a log line"}}))
sys.exit(7)
"""


def run_with_closed_reader(guard: bool) -> int:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(guard=guard)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    child.stdout.close()  # the reader (tee) is gone ...
    child.stdin.close()  # ... before the child writes
    return child.wait(timeout=30)


def test_writes_after_the_reader_exits_are_dropped_and_the_process_goes_on():
    assert run_with_closed_reader(guard=True) == 7


def test_without_the_guard_the_same_writes_fail():
    # The guard's reason: the first print raises BrokenPipeError (exit status 1, not 7).
    assert run_with_closed_reader(guard=False) == 1


@pytest.mark.parametrize("name", ["stdout", "stderr"])
def test_a_stream_that_is_not_the_interpreters_own_is_left_alone(name):
    from cnnviz.console import survive_closed_pipe

    stream = getattr(sys, name)  # pytest's capture here
    survive_closed_pipe()
    assert getattr(sys, name) is stream
