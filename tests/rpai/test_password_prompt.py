"""Passwords typed at a terminal: `rpai` runs on a pseudo-terminal, as in a person's shell."""

import fcntl
import json
import os
import select
import subprocess
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.cli import RPAI, environment, rpai
from tests.support.servers import subprocess_server

WAIT_SECONDS = 60
EMAIL = "alice@example.com"


class Terminal:
    """The master side of a pseudo-terminal whose slave is a command's controlling terminal."""

    def __init__(self, master: int, process: subprocess.Popen[bytes]) -> None:
        self.master = master
        self.process = process
        self.screen = b""

    def read_until(self, text: str) -> None:
        """Read what the command writes until `text` has appeared (or it exits)."""
        wanted = text.encode()
        while wanted not in self.screen:
            ready, _, _ = select.select([self.master], [], [], WAIT_SECONDS)
            assert ready, f"waited for {text!r}, the terminal shows {self.screen!r}"
            try:
                chunk = os.read(self.master, 1024)
            except OSError:  # the command exited and closed the terminal
                chunk = b""
            assert chunk, f"exited before {text!r}: {self.screen!r}"
            self.screen += chunk

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def finish(self) -> int:
        """Read everything up to the command's exit; its exit status."""
        while True:
            ready, _, _ = select.select([self.master], [], [], WAIT_SECONDS)
            assert ready, f"the command did not finish: {self.screen!r}"
            try:
                chunk = os.read(self.master, 1024)
            except OSError:
                break
            if not chunk:
                break
            self.screen += chunk
        return self.process.wait(timeout=WAIT_SECONDS)

    @property
    def text(self) -> str:
        return self.screen.decode().replace("\r\n", "\n")


def _take_terminal() -> None:
    """In the child, after setsid: make the terminal on stdin the controlling one."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@contextmanager
def at_a_terminal(data: Path, *args: str) -> Iterator[Terminal]:
    master, slave = os.openpty()
    process = subprocess.Popen(
        [*RPAI, *args],
        env=environment(data),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    try:
        yield Terminal(master, process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def login_works(base: str, password: str) -> bool:
    response = httpx.post(
        f"{base}/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ user { email } } }",
            "variables": {"e": EMAIL, "p": password},
        },
    )
    return "errors" not in response.json()


def test_create_gerant_and_set_password_ask_twice_without_echo(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "server.log"
    with at_a_terminal(data, "create-gerant", "--name", "Alice", "--email", EMAIL) as terminal:
        terminal.read_until(f"Password for {EMAIL} (empty: none for now): ")
        terminal.type("first password")
        terminal.read_until("Repeat the password: ")
        terminal.type("first password")
        assert terminal.finish() == 0
    assert "first password" not in terminal.text, "the password was echoed"
    created = json.loads(terminal.text.strip().splitlines()[-1])
    assert (created["name"], created["email"]) == ("Alice", EMAIL)

    # --password-stdin typed at a terminal asks too, rather than reading an echoed line.
    args = ("set-password", "--email", EMAIL, "--password-stdin")
    with at_a_terminal(data, *args) as terminal:
        terminal.read_until(f"Password for {EMAIL}: ")
        terminal.type("second password")
        terminal.read_until("Repeat the password: ")
        terminal.type("another password")
        assert terminal.finish() == 1
    assert "rpai: the two passwords differ; nothing was changed" in terminal.text
    assert "second password" not in terminal.text

    with at_a_terminal(data, "set-password", "--email", EMAIL) as terminal:
        terminal.read_until(f"Password for {EMAIL}: ")
        terminal.type("second password")
        terminal.read_until("Repeat the password: ")
        terminal.type("second password")
        assert terminal.finish() == 0
    assert "second password" not in terminal.text
    assert json.loads(terminal.text.strip().splitlines()[-1])["password_set"] is True

    # A pipe is read as before, without a prompt.
    piped = rpai(data, "set-password", "--email", EMAIL, "--password-stdin", stdin="third pass!\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    with subprocess_server(data, log) as base:
        assert login_works(base, "third pass!")
        assert not login_works(base, "second password")


def test_create_gerant_at_a_terminal_may_leave_the_password_for_later(tmp_path: Path) -> None:
    with at_a_terminal(tmp_path, "create-gerant", "--name", "Bob", "--email", EMAIL) as terminal:
        terminal.read_until("(empty: none for now): ")
        terminal.type("")
        assert terminal.finish() == 0
    assert "Repeat" not in terminal.text
    assert json.loads(terminal.text.strip().splitlines()[-1])["name"] == "Bob"
