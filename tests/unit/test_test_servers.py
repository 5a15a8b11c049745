"""The suite's own server helpers: a spare port stays spare, and signals reach every process."""

import os
import signal
import socket
import subprocess
import sys

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


def test_a_signal_reaches_every_process_even_after_one_has_exited() -> None:
    """PostgreSQL's backends come and go: one gone between listing and signalling is skipped."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        signal_every([gone.pid, alive.pid], signal.SIGSTOP)
        _, status = os.waitpid(alive.pid, os.WUNTRACED)  # returns once the child has stopped
        assert os.WIFSTOPPED(status)
        signal_every([gone.pid, alive.pid], signal.SIGCONT)
        _, status = os.waitpid(alive.pid, os.WCONTINUED)
        assert os.WIFCONTINUED(status)
    finally:
        alive.kill()
        alive.wait()
