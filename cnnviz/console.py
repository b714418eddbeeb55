"""The console a process writes to: output that outlives the reader of its pipe.

A teacher often starts the server as ``streamlit run app.py 2>&1 | tee log``. Ctrl-C sends SIGINT
to the server and ``tee`` at once; when ``tee`` exits first, every later write to the pipe fails
with ``BrokenPipeError`` (Python ignores SIGPIPE). Streamlit's shutdown begins by printing
"Stopping..." from its signal handler, so that error cut the shutdown short and the server went
on serving, deaf to SIGINT and SIGTERM alike. :func:`survive_closed_pipe` puts ``sys.stdout`` and
``sys.stderr`` on writers that, once the reader is gone, send the process's output to
``/dev/null`` instead, at the file descriptor: so the streams opened before it (logging's
handlers) write there too, after at most one lost message.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import threading

_LOCK = threading.Lock()


class _PipeWriter(io.RawIOBase):
    """Writes to a file descriptor; once its reader is gone, points it at ``/dev/null``."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            # Nobody reads this output any more: drop it now and from here on, for every
            # writer that shares the descriptor.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._fd)
            os.close(devnull)
            return len(data)


def _is_pipe(stream: object) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _pipe_safe(stream: io.TextIOWrapper) -> io.TextIOWrapper:
    """A text stream like ``stream`` (encoding, errors, buffering) on a :class:`_PipeWriter`."""
    stream.flush()
    return io.TextIOWrapper(
        io.BufferedWriter(_PipeWriter(stream.fileno())),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
        write_through=stream.write_through,
    )


def survive_closed_pipe() -> None:
    """Let ``sys.stdout`` and ``sys.stderr`` outlive the reader of the pipe they write to.

    Acts on a stream only while it is still the interpreter's own (``sys.__stdout__``) and
    writes to a pipe or socket, so calling it again does nothing, and so does calling it where
    someone else (pytest's capture) has put its own stream.
    """
    with _LOCK:
        if sys.stdout is sys.__stdout__ and _is_pipe(sys.stdout):
            sys.stdout = _pipe_safe(sys.stdout)
        if sys.stderr is sys.__stderr__ and _is_pipe(sys.stderr):
            sys.stderr = _pipe_safe(sys.stderr)
