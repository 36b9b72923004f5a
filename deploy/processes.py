"""Processes on this machine as /proc tells of them: trees, titles, memory, liveness, all that a recorded process
started (and stopping it), and the TCP ports they listen on; for `make airflow`, `make cluster`, the benchmark and
their tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

HOST = "127.0.0.1"  # every server these deployments start listens here, and nowhere else
LOOPBACK = (HOST, "::1", "::ffff:127.0.0.1")
# In the environment of a recorded process and so of all it starts: found by it even when nothing else ties it to
# the process (a daemon that left the session and whose parent has ended).
TAG = "PIPELINE_PROCESS_TAG"


def children(pid: int) -> list[int]:
    """Return the processes this one started that still run (its threads' children, from /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # gone meanwhile
            found += [int(c) for c in task.read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """Return this process and every process under it."""
    found, todo = [pid], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def title(pid: int) -> str:
    """Return a process's command line as `ps` shows it (its title, where it set one); empty once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def status_kib(pid: int, field: str) -> int:
    """Return a memory figure of /proc/<pid>/status in KiB (`VmRSS`, `VmHWM`); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None when there is no such live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return None if fields[0] in ("Z", "X") else fields


def start_ticks(pid: int) -> int | None:
    """Return when a live process started, in clock ticks since boot: with its PID, it names that process alone."""
    fields = proc_stat(pid)
    return int(fields[19]) if fields else None


def tagged(env: Mapping[str, str]) -> dict[str, str]:
    """Return `env` with a tag of its own, for a process started with it (see `leader`)."""
    return {**env, TAG: uuid.uuid4().hex}


def leader(pid: int, env: Mapping[str, str] | None = None) -> dict:
    """Record a process, so that it and all it starts can be found later (`processes_of`), its PID reused or not;
    `env`, what it was started with: if `tagged`, the tag finds what it started that left its session too."""
    record = {"pid": pid, "start_ticks": start_ticks(pid)}
    if env is not None and TAG in env:
        record["tag"] = env[TAG]
    return record


def _has_tag(pid: int, tag: str) -> bool:
    """Whether a process's environment holds this tag (it ran with it from its start: environ is not re-read)."""
    try:
        return f"{TAG}={tag}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:  # ended meanwhile, or not ours to read
        return False


def alive(record: dict) -> bool:
    """Whether the recorded process still runs: the same PID and the same start time (no reused PID)."""
    return start_ticks(record["pid"]) == record["start_ticks"]


def processes_of(record: dict) -> list[int]:
    """The recorded process and everything started under it: its session, its process group, its descendants, and
    (if it was `tagged`) every process that carries its tag."""
    top, since, tag = record["pid"], record["start_ticks"], record.get("tag")
    if since is None:  # recorded after it had ended
        return []
    parents: dict[int, int] = {}
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = proc_stat(int(entry.name))
        if not fields or int(fields[19]) < since:
            continue
        pid, ppid, pgid, sid = int(entry.name), int(fields[1]), int(fields[2]), int(fields[3])
        parents[pid] = ppid
        # The tag: a daemon's way (setsid, then its parent exits) leaves no session, group or parent leading here.
        if top in (pgid, sid) or (tag is not None and _has_tag(pid, tag)):
            found.add(pid)
    for pid in parents:
        chain, seen = pid, set()
        while chain in parents and chain not in seen:
            seen.add(chain)
            if chain == top or chain in found:
                found.add(pid)
                break
            chain = parents[chain]
    return sorted(found)


def signal_all(pids: Iterable[int], sig: int) -> None:
    """Send a signal to each of these processes; one that has ended meanwhile is passed over."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def stop_processes(
    records: list[dict], grace: float, tree: bool = False, hurry: threading.Event | None = None
) -> list[int]:
    """SIGTERM recorded processes, then SIGKILL all that is left of them after `grace` s; return the PIDs killed."""
    # By default the leaders alone hear SIGTERM and stop what they started their own way: a scheduler lets its
    # LocalExecutor's running tasks finish, its workers ignoring the signal. `tree`: everything under them hears it.
    if tree:
        signal_all([pid for record in records for pid in processes_of(record)], signal.SIGTERM)
    else:
        signal_all([record["pid"] for record in records if alive(record)], signal.SIGTERM)
    deadline = time.monotonic() + grace
    # Found afresh each time: what a process starts while it stops is waited for, and killed, too. `hurry` (a
    # second Ctrl-C) cuts the wait short.
    while (
        (left := sorted({pid for record in records for pid in processes_of(record)}))
        and time.monotonic() < deadline
        and not (hurry and hurry.is_set())
    ):
        time.sleep(0.2)
    signal_all(left, signal.SIGKILL)
    return left


def proc_address(text: str) -> str:
    """Turn /proc/net/tcp's `0100007F:1F90` (each 32-bit word in host order) into `127.0.0.1:8080`."""
    address, port = text.split(":")
    raw = bytes.fromhex(address)
    packed = b"".join(
        int.from_bytes(raw[i : i + 4], sys.byteorder).to_bytes(4, "big") for i in range(0, len(raw), 4)
    )
    host = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, packed)
    return f"{host}:{int(port, 16)}"


def listening(pids: Iterable[int]) -> dict[str, str]:
    """Every TCP address these processes listen on, as `host:port` (from /proc), with who holds it: `name[pid]`."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                sockets[f"socket:[{fields[9]}]"] = proc_address(fields[1])
    holders: dict[str, set[str]] = {}
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if (address := sockets.get(os.readlink(fd))) is not None:
                    holders.setdefault(address, set()).add(f"{name}[{pid}]")
        except OSError:  # ended meanwhile, or not ours to read
            continue

    def by_port(address: str) -> tuple[str, int]:
        host, _, port = address.rpartition(":")
        return host, int(port)

    return {address: ", ".join(sorted(holders[address])) for address in sorted(holders, key=by_port)}


def on_loopback(address: str) -> bool:
    """Whether a `host:port` is reachable from this machine alone."""
    return address.rpartition(":")[0] in LOOPBACK


def loopback_only(addresses: Iterable[str]) -> bool:
    """Whether every one of these `host:port` addresses is reachable from this machine alone."""
    return all(on_loopback(address) for address in addresses)


def free_ports(names: list[str]) -> dict[str, int]:
    """Pick a free port on 127.0.0.1 for each name (all held at once, so no two are the same)."""
    sockets = []
    try:
        for _ in names:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return {name: s.getsockname()[1] for name, s in zip(names, sockets, strict=True)}
    finally:
        for s in sockets:
            s.close()
