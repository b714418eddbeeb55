"""Python code run in a fresh interpreter, for the rules only a clean ``sys.modules`` can check.

A test process has imported streamlit, TensorFlow and most of cnnviz long before a test asks
"does importing X pull in Y?", so such tests run their code in a new interpreter started from the
repository root (``python -c`` puts its working directory on ``sys.path``: ``cnnviz`` imports).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT_S = 300.0


def run_fresh_python(
    code: str, *, env: Mapping[str, str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> str:
    """Run ``code`` (dedented) with this interpreter in a new process; return what it printed.

    Parameters
    ----------
    code : str
        The program, as for ``python -c``.
    env : mapping, optional
        The process's whole environment (default: this process's).
    timeout_s : float
        Seconds before the process is killed and ``subprocess.TimeoutExpired`` raised.

    Returns
    -------
    str
        Its standard output.

    Raises
    ------
    AssertionError
        If it exits with an error, with the end of its standard error as the message.

    Examples
    --------
    >>> run_fresh_python("import sys; print('cnnviz' in sys.modules)")
    'False\\n'
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"exit status {result.returncode}:\n{result.stderr[-2000:]}")
    return result.stdout
