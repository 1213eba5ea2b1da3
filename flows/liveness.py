"""Is the process that owns a run, a node run or a lease still alive?

Owners on other hosts are judged by their heartbeats and lease expiry (flows/heartbeat.py): there
is no other way to see them. An owner on THIS host can be checked at once: it is written as
`host/worker/boot:ID`, where worker ends in `pid-N` and ID is this boot's id
(/proc/sys/kernel/random/boot_id). Same host, same boot and no process N: it is gone, whatever
its heartbeat says. (A different boot means the pid may be reused, so only the heartbeat counts.)
"""
from __future__ import annotations

import functools
import os
import re
import socket
from datetime import UTC, datetime

_PID = re.compile(r"pid-(\d+)$")


@functools.cache
def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()[:8]
    except OSError:  # not Linux: only heartbeats count
        return ""


@functools.cache
def boot_time() -> datetime | None:
    """When this machine booted (from /proc/stat), or None when unknown."""
    try:
        with open("/proc/stat") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return datetime.fromtimestamp(int(line.split()[1]), UTC)
    except (OSError, ValueError):
        pass
    return None


def owner_tag(host: str, worker: str) -> str:
    return f"{host}/{worker}/boot:{boot_id()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _gone(host: str, worker: str | None) -> bool:
    match = _PID.search(worker or "")
    return host == socket.gethostname() and match is not None and not pid_alive(int(match.group(1)))


def owner_gone(owner: str | None) -> bool:
    """An owner tag (`host/worker/boot:ID`) of a process on this host, this boot, that is not running."""
    if not owner or owner.count("/") < 2:
        return False
    host, rest = owner.split("/", 1)
    worker, _, boot = rest.rpartition("/")
    return bool(boot_id()) and boot == f"boot:{boot_id()}" and _gone(host, worker)


def node_owner_gone(host: str | None, worker: str | None, started_at: datetime | None) -> bool:
    """A node run's executor (its host and worker columns) on this host, since this boot, is gone."""
    booted = boot_time()
    if host is None or started_at is None or booted is None:
        return False
    started = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
    return started >= booted and _gone(host, worker)


def owner_alive_here(owner: str | None) -> bool:
    """An owner tag of a process on this host, this boot, that is still running."""
    if not owner or owner.count("/") < 2 or not boot_id():
        return False
    host, rest = owner.split("/", 1)
    worker, _, boot = rest.rpartition("/")
    match = _PID.search(worker)
    return (host == socket.gethostname() and boot == f"boot:{boot_id()}" and match is not None
            and pid_alive(int(match.group(1))))
