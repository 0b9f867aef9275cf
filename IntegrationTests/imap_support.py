"""Helpers for the IMAP integration tests: the listener's port, logged-in imaplib clients, and a
raw client (IDLE, pipelining, exact bytes) that reads literals as RFC 3501 §4.3 frames them."""

import imaplib
import re
import socket
import time

from conftest import DOMAIN, PASSWORD, STARTUP_TIMEOUT

IMAP_LISTEN_RE = re.compile(r"listening imap 127\.0\.0\.1:(\d+)")
IMAPS_LISTEN_RE = re.compile(r"listening imaps 127\.0\.0\.1:(\d+)")


def imap_port(server):
    port = getattr(server, "imap_port", None)
    if port:
        return port
    return int(server.wait_for_line(IMAP_LISTEN_RE, STARTUP_TIMEOUT).group(1))


def address(user):
    return user if "@" in user else f"{user}@{DOMAIN}"


def imap_client(server, user=None, password=PASSWORD):
    """imaplib on the imap listener (plaintext LOGIN is allowed from loopback by default);
    logged in when USER is given. Closed at teardown with the server's other clients."""
    c = imaplib.IMAP4("127.0.0.1", imap_port(server), timeout=30)
    server.clients.append(c.sock)
    if user is not None:
        typ, _ = c.login(address(user), password)
        assert typ == "OK"
    return c


def ok(result):
    """imaplib's (typ, data): assert OK, return data."""
    typ, data = result
    assert typ == "OK", f"{typ} {data}"
    return data


def fetch_map(data):
    """imaplib FETCH data → {sequence number: raw response bytes (literals joined)}."""
    out = {}
    for item in data:
        if item is None or item == b")":
            continue
        if isinstance(item, tuple):
            head, literal = item
            n = int(head.split(b" ", 1)[0])
            out[n] = out.get(n, b"") + head + b"{literal}" + literal
        else:
            n = int(item.split(b" ", 1)[0])
            out[n] = out.get(n, b"") + item
    return out


class RawIMAP:
    """A line-level client: `command` sends `TAG text` and returns (untagged, tagged), each
    response as bytes with any literal's octets inline after its `{n}` line."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        self.counter = 0
        self.greeting = self.read_response()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self, timeout=None):
        if timeout is not None:
            self.sock.settimeout(timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk

    def read_line(self, timeout=None) -> bytes:
        """One line without its CRLF."""
        while b"\r\n" not in self.buffer:
            self._fill(timeout)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read_exact(self, n, timeout=None) -> bytes:
        while len(self.buffer) < n:
            self._fill(timeout)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_response(self, timeout=None) -> bytes:
        """One response: a line, and for each literal `{n}` at a line's end, n octets and the
        rest of the response."""
        out = b""
        while True:
            line = self.read_line(timeout)
            out += line
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return out
            out += b"\r\n" + self.read_exact(int(m.group(1)), timeout)

    def next_tag(self):
        self.counter += 1
        return f"t{self.counter}"

    def command(self, text, timeout=30):
        tag = self.next_tag()
        self.send(f"{tag} {text}\r\n".encode() if isinstance(text, str) else tag.encode() + b" " + text + b"\r\n")
        return self.collect(tag, timeout)

    def collect(self, tag, timeout=30):
        untagged = []
        while True:
            response = self.read_response(timeout)
            if response.startswith(tag.encode() + b" "):
                return untagged, response
            untagged.append(response)

    def login(self, user, password=PASSWORD):
        _, tagged = self.command(f'LOGIN "{address(user)}" "{password}"')
        assert b" OK " in tagged, tagged
        return tagged

    def wait_for(self, pattern: bytes, timeout=5.0):
        """Untagged responses until one matches PATTERN (a regex); returns it and those before."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} within {timeout}s; saw {seen}")
            try:
                response = self.read_response(timeout=left)
            except socket.timeout:
                raise AssertionError(f"no {pattern!r} within {timeout}s; saw {seen}")
            seen.append(response)
            if re.search(pattern, response):
                return response, seen


def raw_client(server, user=None):
    c = RawIMAP(imap_port(server))
    server.clients.append(c)
    if user is not None:
        c.login(user)
    return c


def pop3_uidls(pop3):
    """UIDL over a logged-in conftest POP3Client: the UIDLs in message order."""
    pop3.ok("UIDL")
    return [line.split(" ", 1)[1] for line in pop3.read_multiline().decode().split("\r\n") if line]
