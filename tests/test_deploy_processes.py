"""What deploy/processes.py reads from /proc: listening addresses, who holds them, and loopback told apart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from deploy.processes import listening, loopback_only, proc_address


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
