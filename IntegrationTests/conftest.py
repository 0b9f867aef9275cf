"""Fixtures and helpers for the Tsubame integration tests.

The server under test is the real binary (env TSUBAME_BIN, default
.build/debug/tsubame relative to the repository root).  Every test gets its
own data directory, created with `tsubame init`, and its own server process
listening on an ephemeral port on 127.0.0.1.
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(os.environ.get("TSUBAME_BIN", REPO / ".build" / "debug" / "tsubame"))
if not BIN.is_absolute():
    BIN = (REPO / BIN).resolve()

HOSTNAME = "mx.test.example"
DOMAIN = "test.example"
PASSWORD = "correct horse 1"
USERS = ("alice", "bob", "carol", "dave")
ALIAS = ("info@test.example", ("alice@test.example", "bob@test.example"))
CLIENT_HELO = "client.example"

STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 30
IO_TIMEOUT = 30


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "smtp_config(**kv): values for the [smtp] table of tsubame.toml")


# --------------------------------------------------------------------------
# command line


def run_cli(*args, stdin=None, check=True, timeout=60):
    """Run `tsubame ARGS...`; return the CompletedProcess (bytes output)."""
    if not BIN.exists():
        pytest.fail(f"server binary not found: {BIN} (build it, or set TSUBAME_BIN)")
    proc = subprocess.run([str(BIN), *map(str, args)], input=stdin,
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"tsubame {' '.join(map(str, args))} exited {proc.returncode}\n"
                    f"stdout: {proc.stdout.decode(errors='replace')}\n"
                    f"stderr: {proc.stderr.decode(errors='replace')}")
    return proc


class DataDir:
    """A Tsubame data directory (tsubame.toml, directory.sqlite, mail/)."""

    def __init__(self, path: Path):
        self.path = path
        self.config = path / "tsubame.toml"

    def init(self, hostname=HOSTNAME, domain=DOMAIN, check=True):
        return run_cli("init", "--data", self.path, "--hostname", hostname,
                       "--domain", domain, check=check)

    def add_user(self, address, password=PASSWORD):
        run_cli("user", "add", address, "--data", self.path, "--password-stdin",
                stdin=(password + "\n").encode())

    def add_domain(self, domain):
        run_cli("domain", "add", domain, "--data", self.path)

    def add_alias(self, alias, *targets):
        run_cli("alias", "add", alias, *targets, "--data", self.path)

    def set_smtp(self, **values):
        """Set keys of the [smtp] table: replace an existing `key = ...` line
        inside the table, or add the key right after the table header."""
        text = self.config.read_text(encoding="utf-8")
        header = re.search(r"(?m)^\[smtp\][ \t]*(#.*)?$", text)
        if header is None:
            text = text.rstrip("\n") + "\n\n[smtp]\n"
            header = re.search(r"(?m)^\[smtp\][ \t]*$", text)
        start = header.end()
        nxt = re.search(r"(?m)^\[", text[start:])
        end = start + nxt.start() if nxt else len(text)
        table = text[start:end]
        for key, value in values.items():
            line = f"{key} = {_toml_value(value)}"
            pattern = re.compile(rf"(?m)^[ \t]*#?[ \t]*{re.escape(key)}[ \t]*=.*$")
            if pattern.search(table):
                table = pattern.sub(lambda _m: line, table, count=1)
            else:
                table = "\n" + line + table
        self.config.write_text(text[:start] + table + text[end:], encoding="utf-8")

    # Maildir helpers -------------------------------------------------------

    def maildir(self, address):
        local, domain = address.rsplit("@", 1)
        return self.path / "mail" / domain / local

    def new_files(self, address):
        d = self.maildir(address) / "new"
        return sorted(p for p in d.iterdir()) if d.is_dir() else []

    def tmp_files(self, address):
        d = self.maildir(address) / "tmp"
        return sorted(p for p in d.iterdir()) if d.is_dir() else []

    def all_files(self, sub):
        """Every file in every DIR/mail/*/*/SUB."""
        root = self.path / "mail"
        return sorted(p for p in root.glob(f"*/*/{sub}/*") if p.is_file())

    def wait_new(self, address, count=1, timeout=IO_TIMEOUT):
        """Poll until ADDRESS's new/ holds COUNT files; return them."""
        deadline = time.monotonic() + timeout
        while True:
            files = self.new_files(address)
            if len(files) >= count or time.monotonic() > deadline:
                assert len(files) == count, f"{address}: new/ has {files}, want {count} file(s)"
                return files
            time.sleep(0.05)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------
# the server process


class Server:
    """`tsubame serve` in the foreground; stderr is drained by a thread."""

    LISTEN_RE = re.compile(r"listening smtp 127\.0\.0\.1:(\d+)")

    def __init__(self, datadir: DataDir):
        self.datadir = datadir
        self.lines = []          # (stream name, decoded line), in order
        self.cond = threading.Condition()
        self.proc = None
        self.port = None
        self.threads = []
        self.clients = []

    def start(self):
        if not BIN.exists():
            pytest.fail(f"server binary not found: {BIN} (build it, or set TSUBAME_BIN)")
        self.lines = []
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--data", str(self.datadir.path),
             "--listen", "smtp=127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self._drain, args=(s, name), daemon=True)
                        for s, name in ((self.proc.stderr, "stderr"), (self.proc.stdout, "stdout"))]
        for t in self.threads:
            t.start()
        m = self.wait_for_line(self.LISTEN_RE, STARTUP_TIMEOUT)
        self.port = int(m.group(1))
        return self

    def _drain(self, stream, name):
        for raw in iter(stream.readline, b""):
            with self.cond:
                self.lines.append((name, raw.decode("utf-8", errors="replace").rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_for_line(self, regex, timeout, stream="stderr"):
        """Wait for a line on STREAM matching REGEX; return the match."""
        regex = re.compile(regex) if isinstance(regex, str) else regex
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for name, line in self.lines[seen:]:
                    m = regex.search(line) if name == stream else None
                    if m:
                        return m
                seen = len(self.lines)
                if self.proc.poll() is not None and not any(t.is_alive() for t in self.threads):
                    pytest.fail(f"server exited ({self.proc.returncode}) before logging "
                                f"{regex.pattern!r}:\n{self.log()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no log line {regex.pattern!r} within {timeout}s:\n{self.log()}")
                self.cond.wait(min(left, 0.5))

    def log(self):
        with self.cond:
            return "\n".join(f"[{name}] {line}" for name, line in self.lines[-200:])

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout=STOP_TIMEOUT):
        """Wait for exit; return the exit code (None on timeout)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM (if still running) and wait; return the exit code."""
        if self.running():
            self.terminate()
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
        for t in self.threads:
            t.join(5)
        return rc

    def kill(self):
        if self.running():
            self.proc.kill()
        self.proc.wait(10)
        for t in self.threads:
            t.join(5)

    def connect(self, **kw):
        c = SMTPClient(self.port, **kw)
        self.clients.append(c)
        return c

    def close_clients(self):
        """Close the connections a test opened with connect() (so that a
        failed test cannot leave a session in DATA that delays shutdown)."""
        for c in self.clients:
            c.close()
        self.clients = []


# --------------------------------------------------------------------------
# a raw SMTP client


class Reply:
    ENH = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}(?: |$)")

    def __init__(self, code, lines):
        self.code = code
        self.lines = lines      # the text after "NNN-" / "NNN ", decoded

    @property
    def text(self):
        return "\n".join(self.lines)

    @property
    def enhanced(self):
        """The enhanced status code of the first line, or None."""
        m = self.ENH.match(self.lines[0]) if self.lines else None
        return m.group(0).strip() if m else None

    def __repr__(self):
        return f"<Reply {self.code} {self.lines!r}>"


class ConnectionClosed(Exception):
    pass


class SMTPClient:
    """A byte-level SMTP client: send exactly what a test wants, read replies."""

    def __init__(self, port, host="127.0.0.1", timeout=IO_TIMEOUT, greeting=True):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.greeting = self.read_reply() if greeting else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _readline(self):
        while b"\r\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError as e:
                raise ConnectionClosed(f"reset; partial {self.buf!r}") from e
            except socket.timeout:
                raise AssertionError(f"no complete reply within {self.sock.gettimeout()}s; "
                                     f"partial {self.buf!r}") from None
            if not chunk:
                raise ConnectionClosed(f"closed; partial {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_reply(self):
        lines = []
        while True:
            line = self._readline()
            m = re.match(rb"^(\d{3})([ -])(.*)$", line, re.S)
            assert m, f"malformed reply line {line!r}"
            lines.append(m.group(3).decode("utf-8", errors="replace"))
            if m.group(2) == b" ":
                return Reply(int(m.group(1)), lines)

    def read_replies(self, n):
        return [self.read_reply() for _ in range(n)]

    def read_until_closed(self):
        """Read replies until the server closes the connection."""
        replies = []
        while True:
            try:
                replies.append(self.read_reply())
            except ConnectionClosed:
                return replies

    def is_closed(self, timeout=IO_TIMEOUT):
        """True when the server has closed (EOF/reset) within TIMEOUT and sent
        nothing more; False when it sent more data."""
        self.sock.settimeout(timeout)
        try:
            data = self.buf or self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""

    def cmd(self, line, encoding="utf-8"):
        if isinstance(line, str):
            line = line.encode(encoding)
        self.send(line + b"\r\n")
        return self.read_reply()

    def ehlo(self, name=CLIENT_HELO):
        r = self.cmd(f"EHLO {name}")
        assert r.code == 250, r
        return r

    def expect(self, line, code, enhanced=None):
        r = self.cmd(line)
        assert r.code == code, f"{line!r}: got {r}, want {code}"
        if enhanced is not None:
            assert r.enhanced == enhanced, f"{line!r}: got {r}, want {code} {enhanced}"
        return r

    def data(self, message: bytes):
        """DATA with dot-stuffing; MESSAGE must use CRLF and end with CRLF.
        Returns the reply to the final dot."""
        self.expect("DATA", 354)
        stuffed = re.sub(rb"(?m)^\.", b"..", message)
        self.send(stuffed + b".\r\n")
        return self.read_reply()

    def transaction(self, sender, rcpts, message, ehlo=True):
        if ehlo:
            self.ehlo()
        self.expect(f"MAIL FROM:<{sender}>", 250)
        for r in rcpts:
            self.expect(f"RCPT TO:<{r}>", 250)
        return self.data(message)


# --------------------------------------------------------------------------
# stored-message checks

DATE_RE = (r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} "
           r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
           r"\d{2}:\d{2}:\d{2} [+-]\d{4}")
NAME_RE = re.compile(r"^[^/:,]+,S=(\d+),W=(\d+)$")


def trace_re(sender, helo, proto, rcpt=None, ip="127.0.0.1", hostname=HOSTNAME):
    """Regex (bytes) for Return-Path + Received at the start of a stored file.
    RCPT None means the several-recipient form (no `for`)."""
    e = lambda s: re.escape(s.encode("utf-8"))  # noqa: E731
    head = (b"Return-Path: <" + e(sender) + b">\n"
            + b"Received: from " + e(helo) + b" \\(\\[" + e(ip) + b"\\]\\)\n"
            + b"\tby " + e(hostname) + b" \\(Tsubame\\) with " + e(proto)
            + b" id (?P<id>[A-Za-z0-9._-]+)")
    if rcpt is not None:
        head += b"\n\tfor <" + e(rcpt) + b">; (?P<date>" + DATE_RE.encode() + b")\n"
    else:
        head += b";\n\t(?P<date>" + DATE_RE.encode() + b")\n"
    return re.compile(head)


def check_stored(path, sender, message, proto="ESMTP", rcpt=None, helo=CLIENT_HELO):
    """Assert that PATH is exactly trace headers + MESSAGE (CRLF -> LF), with
    a correct S=/W= file name.  Returns the file's bytes."""
    content = Path(path).read_bytes()
    m = trace_re(sender, helo, proto, rcpt).match(content)
    assert m, ("trace headers do not match the expected form\n"
               f"want: {trace_re(sender, helo, proto, rcpt).pattern!r}\n"
               f"got:  {content[:400]!r}")
    _check_date(m.group("date").decode())
    body = content[m.end():]
    want = message.replace(b"\r\n", b"\n")
    assert body == want, _diff(body, want)
    check_name(path, content)
    return content


def check_name(path, content=None):
    content = Path(path).read_bytes() if content is None else content
    nm = NAME_RE.match(Path(path).name)
    assert nm, f"Maildir file name {Path(path).name!r} lacks ,S=<size>,W=<size>"
    assert int(nm.group(1)) == len(content), f"S= {nm.group(1)} != file size {len(content)}"
    want_w = len(content) + content.count(b"\n")
    assert int(nm.group(2)) == want_w, f"W= {nm.group(2)} != CRLF size {want_w}"


def split_stored(content: bytes):
    """(trace header bytes, message bytes) of a stored file, loosely."""
    m = re.match(rb"Return-Path: <[^\n]*>\nReceived: [^\n]*\n(?:\t[^\n]*\n)+", content)
    assert m, f"no trace headers in {content[:300]!r}"
    return content[:m.end()], content[m.end():]


def _check_date(text):
    from email.utils import parsedate_to_datetime
    when = parsedate_to_datetime(text).timestamp()
    assert abs(when - time.time()) < 600, f"Received date {text!r} is not now"


def _diff(got, want):
    i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
             min(len(got), len(want)))
    return (f"stored body differs at byte {i} (got {len(got)} bytes, want {len(want)}):\n"
            f"got:  {got[max(0, i - 40):i + 40]!r}\nwant: {want[max(0, i - 40):i + 40]!r}")


def assert_nothing_stored(datadir: DataDir):
    assert datadir.all_files("new") == [], "a message was stored"
    wait_tmp_empty(datadir)


def wait_tmp_empty(datadir: DataDir, timeout=10):
    deadline = time.monotonic() + timeout
    while datadir.all_files("tmp") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert datadir.all_files("tmp") == [], "tmp/ is not empty"


# --------------------------------------------------------------------------
# fixtures


@pytest.fixture
def datadir(tmp_path):
    d = DataDir(tmp_path / "data")
    d.init()
    for u in USERS:
        d.add_user(f"{u}@{DOMAIN}")
    d.add_alias(ALIAS[0], *ALIAS[1])
    return d


@pytest.fixture
def server(request, datadir):
    marker = request.node.get_closest_marker("smtp_config")
    if marker is not None:
        datadir.set_smtp(**marker.kwargs)
    srv = Server(datadir).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")   # shown for failed tests
    assert rc == 0, f"server exit code {rc} after SIGTERM (None = still running after " \
                    f"{STOP_TIMEOUT}s)\n{srv.log()}"


@pytest.fixture
def client(server):
    c = server.connect()
    yield c
    c.close()


@pytest.fixture
def start_server(datadir):
    """Factory: start (another) server on DATADIR after the test prepared it.
    Every server started is stopped with SIGTERM at teardown (exit code 0)."""
    started = []

    def start():
        srv = Server(datadir).start()
        started.append(srv)
        return srv

    yield start
    failures = []
    for srv in started:
        srv.close_clients()
        rc = srv.stop()
        if rc not in (0, -signal.SIGKILL):   # a test may SIGKILL on purpose
            failures.append(f"exit code {rc}\n{srv.log()}")
    assert not failures, "\n".join(failures)
