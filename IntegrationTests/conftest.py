"""Fixtures and helpers for the Tsubame integration tests.

The server under test is the real binary (env TSUBAME_BIN, default
.build/debug/tsubame relative to the repository root).  Every test gets its
own data directory, created with `tsubame init`, and its own server process
listening on an ephemeral port on 127.0.0.1.
"""

import imaplib
import json
import os
import re
import signal
import socket
import ssl
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
    config.addinivalue_line(
        "markers", "pop3_config(**kv): values for the [pop3] table of tsubame.toml")
    config.addinivalue_line(
        "markers", "imap_config(**kv): values for the [imap] table of tsubame.toml")
    config.addinivalue_line(
        "markers", "auth_config(**kv): values for the [auth] table of tsubame.toml "
                   "(the pop3_server fixture sets failure_delay_ms = account_failure_delay_ms = 0 "
                   "unless given)")
    config.addinivalue_line(
        "markers", "limits_config(listener, **kv): values for the [limits.LISTENER] table")


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


def run_fetchmail(tmp_path, port, options, account, password, extra=""):
    """Run fetchmail once against 127.0.0.1:PORT with OPTIONS (e.g. "keep fetchall"), each
    message delivered by an MDA into its own file; return (exit code, output, [contents])."""
    home = tmp_path / "fmhome"
    home.mkdir(mode=0o700, exist_ok=True)
    out_dir = tmp_path / "fm-out"
    out_dir.mkdir(exist_ok=True)
    mda = tmp_path / "mda.sh"
    mda.write_text(f'#!/bin/sh\nexec cat > "$(mktemp {out_dir}/msg.XXXXXXXX)"\n')
    mda.chmod(0o755)
    rc = tmp_path / "fetchmailrc"
    rc.write_text("set no syslog\n"
                  f"poll 127.0.0.1 service {port} protocol pop3 auth password\n"
                  f'  user "{account}" password "{password}"\n'
                  f'  mda "{mda}"\n'
                  f"  {options}\n" + extra)
    rc.chmod(0o600)
    p = subprocess.run(["fetchmail", "-f", str(rc), "-v", "--nodetach", "--timeout", "30"],
                       capture_output=True, timeout=120,
                       env={**os.environ, "HOME": str(home), "FETCHMAILHOME": str(home)})
    out = (p.stdout + p.stderr).decode(errors="replace")
    return p.returncode, out, [f.read_bytes() for f in sorted(out_dir.iterdir())]


class DataDir:
    """A Tsubame data directory (tsubame.toml, directory.sqlite, mail/)."""

    def __init__(self, path: Path):
        self.path = path
        self.config = path / "tsubame.toml"

    def init(self, hostname=HOSTNAME, domain=DOMAIN, check=True):
        """`tsubame init`, then the message-authentication defaults turned off: the tests
        run without a network (SPF/DMARC lookups would time out) and compare stored and
        relayed messages byte for byte. test_mail_auth.py turns them on with a fake DNS."""
        proc = run_cli("init", "--data", self.path, "--hostname", hostname,
                       "--domain", domain, check=check)
        if proc.returncode == 0:
            self.set_table("checks", enabled=False)
            self.set_table("dkim", sign=False)
        return proc

    def add_user(self, address, password=PASSWORD):
        run_cli("user", "add", address, "--data", self.path, "--password-stdin",
                stdin=(password + "\n").encode())

    def add_domain(self, domain):
        run_cli("domain", "add", domain, "--data", self.path)

    def add_alias(self, alias, *targets):
        run_cli("alias", "add", alias, *targets, "--data", self.path)

    def set_smtp(self, **values):
        """Set keys of the [smtp] table (see set_table)."""
        self.set_table("smtp", **values)

    def suspend_delivery(self):
        """[delivery] suspended = true: queued mail stays as the server queued it (for tests
        of the queue itself; the outbound tests deliver)."""
        self.set_table("delivery", suspended=True)

    def set_table(self, name, **values):
        """Set keys of the [NAME] table: replace an existing `key = ...` line
        inside the table, or add the key right after the table header (the
        table is appended to the file when it is not there)."""
        text = self.config.read_text(encoding="utf-8")
        header = re.search(rf"(?m)^\[{re.escape(name)}\][ \t]*(#.*)?$", text)
        if header is None:
            text = text.rstrip("\n") + f"\n\n[{name}]\n"
            header = re.search(rf"(?m)^\[{re.escape(name)}\][ \t]*$", text)
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

    # Outbound queue helpers -------------------------------------------------

    def queue_list(self):
        """`tsubame queue list --json`: the queued messages with their recipients."""
        return json.loads(run_cli("queue", "list", "--json", "--data", self.path).stdout)

    def queued_file(self, entry):
        """The content file of a `queue_list` entry, in DATA/queue/messages/."""
        return self.path / "queue" / "messages" / entry["file"]

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
    POP3_LISTEN_RE = re.compile(r"listening pop3 127\.0\.0\.1:(\d+)")
    POP3S_LISTEN_RE = re.compile(r"listening pop3s 127\.0\.0\.1:(\d+)")
    SUBMISSION_LISTEN_RE = re.compile(r"listening submission 127\.0\.0\.1:(\d+)")
    SUBMISSIONS_LISTEN_RE = re.compile(r"listening submissions 127\.0\.0\.1:(\d+)")
    IMAP_LISTEN_RE = re.compile(r"listening imap 127\.0\.0\.1:(\d+)")
    IMAPS_LISTEN_RE = re.compile(r"listening imaps 127\.0\.0\.1:(\d+)")

    def __init__(self, datadir: DataDir, pop3=False, imap=False):
        self.datadir = datadir
        self.with_pop3 = pop3    # also listen for POP3 (on port 0)
        self.with_imap = imap    # read the imap and imaps ports
        self.imap_port = None
        self.imaps_port = None
        self.lines = []          # (stream name, decoded line), in order
        self.cond = threading.Condition()
        self.proc = None
        self.port = None         # the SMTP port
        self.pop3_port = None
        self.pop3s_port = None
        self.submission_port = None
        self.submissions_port = None
        self.threads = []
        self.clients = []

    def start(self):
        if not BIN.exists():
            pytest.fail(f"server binary not found: {BIN} (build it, or set TSUBAME_BIN)")
        self.lines = []
        # Every listener the config names is moved to a free loopback port (init's config
        # has pop3 on 0.0.0.0:110); tests that use POP3 read its port with pop3=True.
        listen = ["--listen", "smtp=127.0.0.1:0", "--listen", "pop3=127.0.0.1:0",
                  "--listen", "pop3s=127.0.0.1:0", "--listen", "submission=127.0.0.1:0",
                  "--listen", "submissions=127.0.0.1:0", "--listen", "imap=127.0.0.1:0",
                  "--listen", "imaps=127.0.0.1:0"]
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--data", str(self.datadir.path), *listen],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self._drain, args=(s, name), daemon=True)
                        for s, name in ((self.proc.stderr, "stderr"), (self.proc.stdout, "stdout"))]
        for t in self.threads:
            t.start()
        m = self.wait_for_line(self.LISTEN_RE, STARTUP_TIMEOUT)
        self.port = int(m.group(1))
        self.submission_port = int(self.wait_for_line(self.SUBMISSION_LISTEN_RE, STARTUP_TIMEOUT).group(1))
        self.submissions_port = int(self.wait_for_line(self.SUBMISSIONS_LISTEN_RE, STARTUP_TIMEOUT).group(1))
        if self.with_pop3:
            m = self.wait_for_line(self.POP3_LISTEN_RE, STARTUP_TIMEOUT)
            self.pop3_port = int(m.group(1))
            m = self.wait_for_line(self.POP3S_LISTEN_RE, STARTUP_TIMEOUT)
            self.pop3s_port = int(m.group(1))
        if self.with_imap:
            self.imap_port = int(self.wait_for_line(self.IMAP_LISTEN_RE, STARTUP_TIMEOUT).group(1))
            self.imaps_port = int(self.wait_for_line(self.IMAPS_LISTEN_RE, STARTUP_TIMEOUT).group(1))
        return self

    @property
    def pid(self):
        return self.proc.pid

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

    def pop3(self, **kw):
        """A new POP3Client connected to this server's pop3 listener."""
        assert self.pop3_port is not None, "server started without a pop3 listener"
        c = POP3Client(self.pop3_port, **kw)
        self.clients.append(c)
        return c

    def tls_context(self):
        """A client TLS context trusting the data folder's private CA."""
        return ssl.create_default_context(cafile=str(self.datadir.path / "tls" / "ca.pem"))

    def imap(self, tls=False, timeout=IO_TIMEOUT):
        """A new imaplib client on the imap listener (tls=True: on imaps, verified against the CA)."""
        assert self.imap_port is not None, "server started without imap=True"
        if tls:
            c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=self.tls_context(), timeout=timeout)
        else:
            c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=timeout)
        self.clients.append(c)
        return c

    def deliver(self, rcpts, message, sender="sender@example.net"):
        """Send MESSAGE (CRLF, dot-stuffed here) to RCPTS over SMTP; assert 250."""
        rcpts = [rcpts] if isinstance(rcpts, str) else list(rcpts)
        with self.connect() as c:
            r = c.transaction(sender, rcpts, message)
            assert r.code == 250, f"delivery to {rcpts} refused: {r}"
            c.cmd("QUIT")

    def close_clients(self):
        """Close the connections a test opened with connect() (so that a
        failed test cannot leave a session in DATA that delays shutdown)."""
        for c in self.clients:
            if isinstance(c, imaplib.IMAP4):
                try:
                    c.shutdown()   # imaplib's close() is the IMAP CLOSE command
                except OSError:
                    pass
            else:
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

    def __init__(self, port, host="127.0.0.1", timeout=IO_TIMEOUT, greeting=True, source=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
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
# a raw POP3 client


class POP3Error(AssertionError):
    pass


class POP3Client:
    """A byte-level POP3 client (RFC 1939, 2449): send exactly what a test
    wants; read status lines and multi-line responses octet for octet."""

    def __init__(self, port, host="127.0.0.1", timeout=IO_TIMEOUT, greeting=True, source=None):
        # SOURCE: the client's own address, e.g. "127.0.0.2" (any 127/8 address is loopback)
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = bytearray()
        self.greeting = self.status() if greeting else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ConnectionClosed(f"send: {e}") from e

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except ConnectionResetError as e:
            raise ConnectionClosed(f"reset; partial {bytes(self.buf[:300])!r}") from e
        except socket.timeout:
            raise AssertionError(f"no complete response within {self.sock.gettimeout()}s; "
                                 f"partial {bytes(self.buf[:300])!r}") from None
        if not chunk:
            raise ConnectionClosed(f"closed; partial {bytes(self.buf[:300])!r}")
        self.buf += chunk

    def readline(self) -> bytes:
        """One line without its CRLF."""
        start = 0
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            start = max(0, len(self.buf) - 1)
            self._fill()

    def status(self) -> str:
        """A status line (+OK ..., -ERR ..., or a `+ ` continuation), decoded."""
        line = self.readline()
        assert line.startswith((b"+OK", b"-ERR", b"+ ")) or line == b"+", \
            f"malformed status line {line!r}"
        assert len(line) + 2 <= 512, f"status line over 512 octets: {line[:100]!r}"
        return line.decode("utf-8", errors="replace")

    def read_multiline(self) -> bytes:
        """The body of a multi-line response after its status line: the octets
        between the status line and the terminating `.CRLF`, with the byte
        stuffing undone (each line keeps its CRLF).  Asserts the framing is
        strict: only CRLF line ends, every line starting with `.` stuffed."""
        # data starts at the beginning of a line; find the terminating line
        pos = 0
        while True:
            if self.buf[:3] == b".\r\n":
                end, term = 0, 3
                break
            i = self.buf.find(b"\r\n.\r\n", pos)
            if i >= 0:
                end, term = i + 2, i + 5
                break
            pos = max(0, len(self.buf) - 4)
            self._fill()
        raw = bytes(self.buf[:end])
        del self.buf[:term]
        bad = re.search(rb"(?<!\r)\n|\r(?!\n)", raw)
        assert bad is None, f"bare CR or LF at {bad.start()} in a multi-line response: " \
                            f"{raw[max(0, bad.start() - 40):bad.start() + 40]!r}"
        lone = re.compile(rb"(?:^|(?<=\r\n))\.(?!\.)").search(raw)
        assert lone is None, f"line starting with a single '.' (not byte-stuffed) at " \
                             f"{lone.start()}: {raw[lone.start():lone.start() + 60]!r}"
        return re.sub(rb"(?:^|(?<=\r\n))\.", b"", raw)

    def cmd(self, line) -> str:
        """Send LINE + CRLF; return the status line."""
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.send(line + b"\r\n")
        return self.status()

    def ok(self, line) -> str:
        r = self.cmd(line)
        if not r.startswith("+OK"):
            raise POP3Error(f"{_short(line)!r}: got {r!r}, want +OK")
        return r

    def err(self, line) -> str:
        r = self.cmd(line)
        if not r.startswith("-ERR"):
            raise POP3Error(f"{_short(line)!r}: got {r!r}, want -ERR")
        return r

    def multi(self, line):
        """A command with a multi-line answer: (status line, unstuffed octets)."""
        r = self.ok(line)
        return r, self.read_multiline()

    def login(self, user, password=PASSWORD):
        self.ok(f"USER {user}")
        return self.ok(f"PASS {password}")

    def auth_plain(self, user, password=PASSWORD, initial=True):
        """AUTH PLAIN; returns the final status line (not checked)."""
        token = plain_token(user, password)
        if initial:
            return self.cmd(f"AUTH PLAIN {token}")
        r = self.cmd("AUTH PLAIN")
        assert r.startswith("+ ") or r == "+", f"AUTH PLAIN: got {r!r}, want '+ '"
        return self.cmd(token)

    def capa(self):
        _, body = self.multi("CAPA")
        return [l for l in body.decode("utf-8").split("\r\n") if l]

    def stat(self):
        r = self.ok("STAT")
        m = re.fullmatch(r"\+OK (\d+) (\d+)(?: .*)?", r)
        assert m, f"STAT: malformed {r!r}"
        return int(m.group(1)), int(m.group(2))

    def list(self):
        """{number: size} from LIST without an argument."""
        return {int(a): int(b) for a, b in self._pairs("LIST")}

    def uidl(self):
        """{number: unique id} from UIDL without an argument."""
        return {int(a): b for a, b in self._pairs("UIDL")}

    def _pairs(self, command):
        _, body = self.multi(command)
        out = []
        for line in body.decode("ascii").split("\r\n")[:-1]:
            parts = line.split(" ")
            assert len(parts) >= 2 and parts[0].isdigit(), f"{command}: malformed line {line!r}"
            out.append((parts[0], parts[1]))
        return out

    def retr(self, n) -> bytes:
        return self.multi(f"RETR {n}")[1]

    def top(self, n, lines) -> bytes:
        return self.multi(f"TOP {n} {lines}")[1]

    def quit(self):
        r = self.ok("QUIT")
        assert self.is_closed(), "connection still open after QUIT"
        return r

    def is_closed(self, timeout=IO_TIMEOUT):
        """True when the server closed (EOF/reset) within TIMEOUT with no
        more data; False when it sent more data or stayed open."""
        self.sock.settimeout(timeout)
        if self.buf:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        if data:
            self.buf += data
            return False
        return True


def _short(line):
    return line if len(line) < 80 else line[:60] + (b"..." if isinstance(line, bytes) else "...")


def plain_token(user, password=PASSWORD, authzid=""):
    import base64
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode("utf-8")).decode("ascii")


def pop3_login_when_free(server, user, password=PASSWORD, timeout=5.0):
    """Log in as USER, retrying while the mailbox is still `[IN-USE]` (e.g.
    right after another session's connection was dropped).  Returns the
    logged-in POP3Client."""
    deadline = time.monotonic() + timeout
    while True:
        c = server.pop3()
        c.ok(f"USER {user}")
        r = c.cmd(f"PASS {password}")
        if r.startswith("+OK"):
            return c
        c.close()
        assert r.startswith("-ERR [IN-USE]"), f"login as {user}: {r!r}"
        assert time.monotonic() < deadline, f"{user}: still {r!r} after {timeout}s"
        time.sleep(0.25)


def crlf(content: bytes) -> bytes:
    """A stored (LF) Maildir file as POP3 sends it: LF -> CRLF."""
    assert b"\r" not in content
    return content.replace(b"\n", b"\r\n")


def maildir_uid(path) -> str:
    """The unique part of a Maildir file name (before the first ',' or ':')."""
    return re.split(r"[,:]", Path(path).name, maxsplit=1)[0]


def sample_message(n, to="alice@test.example", filler=0):
    """A CRLF test message with the awkward parts a POP3 server must carry
    through: lines that start with '.', a '.' line, 8-bit UTF-8, tabs,
    trailing blanks, an empty body line, a long (900-octet) line.
    FILLER adds that many more body lines (so sizes differ)."""
    body = (b".leading dot line %d\r\n" % n
            + b".\r\n"
            + b"..\r\n"
            + b"\r\n"
            + "Grüße, 燕 %d\r\n".encode("utf-8").replace(b"%d", str(n).encode())
            + b"trailing blanks   \r\n"
            + b"\tTab line\r\n"
            + b"x" * 900 + b"\r\n"
            + b"".join(b"filler line %d\r\n" % k for k in range(filler))
            + b"end of message %d\r\n" % n)
    return (b"From: Sender <sender@example.net>\r\n"
            + b"To: " + to.encode() + b"\r\n"
            + b"Subject: message %d\r\n" % n
            + b"Date: Sun, 29 Nov 2026 19:30:%02d +0000\r\n" % (n % 60)
            + b"Message-ID: <pop3-test-%d@example.net>\r\n" % n
            + b"MIME-Version: 1.0\r\n"
            + b"Content-Type: text/plain; charset=utf-8\r\n"
            + b"Content-Transfer-Encoding: 8bit\r\n"
            + b"\r\n" + body)


def deliver_and_map(server, datadir, rcpt, messages):
    """Deliver MESSAGES one by one over SMTP (in order, each waited for);
    return the stored file of each, in the same order."""
    paths = []
    for i, m in enumerate(messages):
        server.deliver(rcpt, m)
        files = datadir.wait_new(rcpt, len(paths) + 1)
        [new] = [f for f in files if f not in paths]
        assert new.read_bytes().endswith(m.replace(b"\r\n", b"\n")), new
        paths.append(new)
        time.sleep(0.01)    # distinct delivery times: "oldest first" is well defined
    return paths


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


POP3_TEST_AUTH = {"failure_delay_ms": 0, "account_failure_delay_ms": 0}


def apply_config_markers(request, datadir, pop3=False):
    """Write the smtp_config / pop3_config / limits_config / auth_config markers' values into
    tsubame.toml.  With POP3, failed logins are not delayed unless the test's
    auth_config says otherwise."""
    marker = request.node.get_closest_marker("smtp_config")
    if marker is not None:
        datadir.set_smtp(**marker.kwargs)
    marker = request.node.get_closest_marker("pop3_config")
    if marker is not None:
        datadir.set_table("pop3", **marker.kwargs)
    marker = request.node.get_closest_marker("limits_config")
    if marker is not None:
        datadir.set_table(f"limits.{marker.args[0]}", **marker.kwargs)
    auth = dict(POP3_TEST_AUTH) if pop3 else {}
    marker = request.node.get_closest_marker("auth_config")
    if marker is not None:
        auth.update(marker.kwargs)
    if auth:
        datadir.set_table("auth", **auth)


@pytest.fixture
def pop3_server(request, datadir):
    """The server with both an smtp (.port) and a pop3 (.pop3_port) listener."""
    apply_config_markers(request, datadir, pop3=True)
    srv = Server(datadir, pop3=True).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")   # shown for failed tests
    assert rc == 0, f"server exit code {rc} after SIGTERM (None = still running after " \
                    f"{STOP_TIMEOUT}s)\n{srv.log()}"


@pytest.fixture
def imap_server(request, datadir):
    """The server with its imap (.imap_port) and imaps (.imaps_port) listeners."""
    apply_config_markers(request, datadir, pop3=True)
    marker = request.node.get_closest_marker("imap_config")
    if marker is not None:
        datadir.set_table("imap", **marker.kwargs)
    srv = Server(datadir, imap=True).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")   # shown for failed tests
    assert rc == 0, f"server exit code {rc} after SIGTERM (None = still running after " \
                    f"{STOP_TIMEOUT}s)\n{srv.log()}"


@pytest.fixture
def start_server(datadir):
    """Factory: start (another) server on DATADIR after the test prepared it
    (start(pop3=True) also listens for POP3).
    Every server started is stopped with SIGTERM at teardown (exit code 0)."""
    started = []

    def start(pop3=False):
        srv = Server(datadir, pop3=pop3).start()
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
