"""What deploy/processes.py reads from /proc: listening addresses, who holds them, loopback told apart, and all that a
recorded process started, stopped with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from deploy.processes import (
    leader,
    listening,
    loopback_only,
    proc_address,
    proc_stat,
    processes_of,
    stop_processes,
    tagged,
)


def test_listening_addresses_are_read_from_proc_and_loopback_is_told_apart():
    assert proc_address("0100007F:4969") == "127.0.0.1:18793"
    assert proc_address("00000000:1F90") == "0.0.0.0:8080"
    assert proc_address("00000000000000000000000001000000:1F90") == "::1:8080"
    assert loopback_only(["127.0.0.1:8080", "::1:8793"])
    assert not loopback_only(["127.0.0.1:8080", "0.0.0.0:8793"])
    assert not loopback_only(["::1:8080", ":::8793"])


def test_listening_finds_the_sockets_of_the_processes_it_is_given_and_who_holds_them():
    code = "import socket, time; s = socket.create_server(('127.0.0.1', 0)); time.sleep(30)"
    server = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not (found := listening({server.pid})) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    [(address, holder)] = found.items()
    assert address.startswith("127.0.0.1:") and holder.endswith(f"[{server.pid}]")


# The daemon's way out: a child leaves the session, forks again and ends, so its child has neither the leader's
# session, nor its group, nor a parent leading to it.
DAEMON = """
import os, sys, time
pid_file = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(pid_file + ".tmp", "w") as out:
            out.write(str(os.getpid()))
        os.replace(pid_file + ".tmp", pid_file)
        time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


@pytest.fixture
def daemon(tmp_path):
    """Start a leader, tagged, whose grandchild became a daemon; yield (its record, the daemon's PID)."""
    pid_file = tmp_path / "daemon.pid"
    env = tagged(os.environ)
    started = subprocess.Popen([sys.executable, "-c", DAEMON, str(pid_file)], env=env, start_new_session=True)
    record = leader(started.pid, env)
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = int(pid_file.read_text())
    try:
        yield record, pid
    finally:
        for each in (started.pid, pid):
            if proc_stat(each) is not None:
                os.kill(each, signal.SIGKILL)
        started.wait()


def test_a_daemon_that_left_the_session_of_a_tagged_process_is_found_by_its_tag(daemon):
    record, pid = daemon
    # Another session and group than the leader's, and its parent (their leader) has ended.
    assert os.getsid(pid) != record["pid"] and os.getpgid(pid) != record["pid"]
    assert proc_stat(os.getsid(pid)) is None
    assert pid in processes_of(record)
    untagged = {key: value for key, value in record.items() if key != "tag"}
    assert pid not in processes_of(untagged)  # what session, group and parents alone could not find


def test_stopping_a_tagged_process_stops_the_daemon_it_started(daemon):
    record, pid = daemon
    stop_processes([record], grace=1.0, tree=True)
    deadline = time.monotonic() + 5
    while proc_stat(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc_stat(pid) is None and record["pid"] not in processes_of(record)
