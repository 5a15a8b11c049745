"""The suite's own server helpers: a spare port stays spare, and signals reach every process."""

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, signal_every


def test_a_spare_port_is_kept_from_other_sockets_until_a_server_binds_it() -> None:
    """Between `free_port` and the server's bind, no other socket may take the port (an
    outgoing connection's ephemeral port, another test's spare port); a server may."""
    port = free_port()
    with socket.socket() as other, pytest.raises(OSError, match="Address already in use"):
        other.bind(("127.0.0.1", port))
    with socket.socket() as server:  # servers set SO_REUSEADDR, as uvicorn and Redis do
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def test_a_signal_reaches_every_process_even_after_one_has_exited() -> None:
    """PostgreSQL's backends come and go: one gone between listing and signalling is skipped."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        signal_every([gone.pid, alive.pid], signal.SIGSTOP)
        assert _state(alive.pid) == "T"  # stopped
        signal_every([gone.pid, alive.pid], signal.SIGCONT)
        assert _state(alive.pid) != "T"
    finally:
        alive.kill()
        alive.wait()
