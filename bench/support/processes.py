"""Facts about the processes a benchmark watches: CPU seconds, resident memory, the tree below a
process, what each process of the app's server is, the machine's load.

Built on psutil; a process that has exited reads as ``None`` (or is left out), since the
benchmarks sample processes that may end between two readings (a training worker, a tab).
"""

from __future__ import annotations

from pathlib import Path

import psutil

MIB = 1024 * 1024


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process ``pid`` has used so far, all its threads (None once it
    is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return None
    return times.user + times.system


def rss_mib(pid: int) -> float | None:
    """Resident memory of process ``pid`` now, in MiB (None once it is gone)."""
    try:
        return psutil.Process(pid).memory_info().rss / MIB
    except psutil.Error:
        return None


def peak_rss_mib(pid: int) -> float | None:
    """The highest resident memory process ``pid`` has had, in MiB (None once it is gone).

    psutil has no peak for Linux processes, so this reads the kernel's high-water mark (the
    ``VmHWM`` line of ``/proc/PID/status``): sampling the RSS would miss a peak between samples.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # the kernel writes KiB
    except (OSError, ValueError):
        return None
    return None


def descendants(root_pid: int) -> list[int]:
    """Every live process below ``root_pid`` (children, their children, ...)."""
    try:
        return [child.pid for child in psutil.Process(root_pid).children(recursive=True)]
    except psutil.Error:
        return []


def command_line(pid: int) -> str:
    """A process's command line, spaces between the arguments ("" once it is gone)."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def server_role(pid: int) -> str:
    """What a process of the app server's tree is: "server" (a Streamlit process), "worker" (a
    training worker it spawned), "proxy" (HAProxy, under cnnviz.serve) or "launcher"."""
    command = command_line(pid)
    if "multiprocessing" in command:  # spawn's children: the training workers
        return "worker"
    if "streamlit" in command and " run " in command:
        return "server"
    if "haproxy" in command:
        return "proxy"
    return "launcher"


def streamlit_pids(root_pid: int) -> list[int]:
    """The Streamlit processes of the server started as ``root_pid``: the process itself
    (`streamlit run`), or each backend of ``python -m cnnviz.serve``."""
    tree = [root_pid, *descendants(root_pid)]
    return [pid for pid in tree if server_role(pid) == "server"]


def streamlit_cpu_seconds(root_pid: int) -> float:
    """CPU seconds the Streamlit processes of the server ``root_pid`` have used so far."""
    return sum(cpu_seconds(pid) or 0.0 for pid in streamlit_pids(root_pid))


def load_average_1m() -> float:
    """The machine's load average over the last minute (runnable processes, all cores)."""
    return psutil.getloadavg()[0]
