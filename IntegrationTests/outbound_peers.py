"""Shared pieces of the outbound delivery tests (test_outbound*.py): a fake DNS server, SMTP
peers built on aiosmtpd (and raw asyncio for hostile ones), a private CA for the peers'
certificates, Tsubame sites configured to send, submission of a message to be sent, the
delivery log lines, the queue and DSN checks.

Everything listens on 127.0.0.1 only; nothing reaches the network. Times are shortened
through `[queue]` (first_retry, max_retry_interval, max_lifetime, delay_warning), so a
test waits seconds, never minutes.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import signal
import smtplib
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest
from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, A, DNSRecord

from conftest import BIN, PASSWORD, STOP_TIMEOUT, DataDir, Server, run_cli
from test_log_injection import LogLine

WAIT = float(os.environ.get("TSUBAME_E2E_WAIT", 20))   # the longest a test waits for one thing
CLIENT_HELO = "client.example"

# Site A: the sender's server, and its users.
A_HOST, A_DOMAIN = "mx.a.test", "a.test"
ALICE = "alice@a.test"


# --------------------------------------------------------------------------
# ports


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now (for a peer started later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=WAIT, what="condition", interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# fake DNS (dnslib)


class FakeDNS:
    """A recursive resolver stand-in on 127.0.0.1, UDP and TCP on one port, answering from
    `records` (name, type) -> [RR]. A name with some record but none of the asked type is
    NOERROR/no data; a name with none is NXDOMAIN; names in `servfail` get SERVFAIL; names
    in `truncate` get TC=1 over UDP (the answer only over TCP). `queries` records
    (name, type, "udp"|"tcp")."""

    SOA_RR = RR("test.", QTYPE.SOA, ttl=60, rdata=SOA("ns.test.", "hostmaster.test.", (1, 3600, 600, 86400, 5)))

    def __init__(self):
        self.records: dict[tuple[str, str], list[RR]] = {}
        self.servfail: set[str] = set()
        self.truncate: set[str] = set()
        self.queries: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.udp = self.tcp = None
        self.port = None

    # zone building ---------------------------------------------------------

    @staticmethod
    def _name(name):
        return name.lower().rstrip(".") + "."

    def add(self, name, rtype, rdata, ttl=60):
        name = self._name(name)
        with self.lock:
            self.records.setdefault((name, rtype), []).append(RR(name, getattr(QTYPE, rtype), ttl=ttl, rdata=rdata))

    def mx(self, domain, host, preference=10):
        self.add(domain, "MX", MX(self._name(host) if host != "." else ".", preference))

    def a(self, host, address="127.0.0.1"):
        self.add(host, "A", A(address))

    def aaaa(self, host, address="::1"):
        self.add(host, "AAAA", AAAA(address))

    def cname(self, name, target):
        self.add(name, "CNAME", CNAME(self._name(target)))

    def null_mx(self, domain):
        """RFC 7505: `MX 0 .`."""
        self.add(domain, "MX", MX(".", 0))

    def domain_to(self, domain, host=None, address="127.0.0.1"):
        """DOMAIN MX 10 HOST (default mx.DOMAIN), HOST A ADDRESS."""
        host = host or f"mx.{domain}"
        self.mx(domain, host)
        self.a(host, address)
        return host

    # answering -------------------------------------------------------------

    def _lookup(self, name, qtype):
        """The answer RRs, following CNAMEs as a recursive resolver does."""
        out = []
        for _ in range(8):
            rrs = self.records.get((name, qtype))
            if rrs:
                return out + rrs, True
            alias = self.records.get((name, "CNAME"))
            if not alias or qtype == "CNAME":
                break
            out += alias
            name = str(alias[0].rdata.label).lower()
        exists = any(n == name for n, _ in self.records)
        return out, exists

    def answer(self, data, transport):
        request = DNSRecord.parse(data)
        name = str(request.q.qname).lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries.append((name, qtype, transport))
            reply = request.reply()
            reply.header.ad = 0
            if name in self.servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply.pack()
            if name in self.truncate and transport == "udp":
                reply.header.tc = 1
                return reply.pack()
            rrs, exists = self._lookup(name, qtype)
            for rr in rrs:
                reply.add_answer(rr)
            if not rrs or all(QTYPE[rr.rtype] == "CNAME" for rr in rrs):
                if not exists and not rrs:
                    reply.header.rcode = RCODE.NXDOMAIN
                reply.add_auth(self.SOA_RR)
            return reply.pack()

    def asked(self, name, rtype=None, transport=None):
        name = self._name(name)
        with self.lock:
            return [q for q in self.queries
                    if q[0] == name and (rtype is None or q[1] == rtype) and (transport is None or q[2] == transport)]

    # serving ---------------------------------------------------------------

    def start(self):
        dns = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                try:
                    sock.sendto(dns.answer(data, "udp"), self.client_address)
                except Exception as error:  # noqa: BLE001 - a bad query is the test's problem
                    print("fake dns (udp):", error)

        class TCPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                conn = self.request
                while True:
                    head = _read_exact(conn, 2)
                    if head is None:
                        return
                    data = _read_exact(conn, struct.unpack("!H", head)[0])
                    if data is None:
                        return
                    packet = dns.answer(data, "tcp")
                    conn.sendall(struct.pack("!H", len(packet)) + packet)

        for _ in range(20):
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), UDPHandler)
            port = udp.server_address[1]
            try:
                socketserver.ThreadingTCPServer.allow_reuse_address = True
                tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), TCPHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:
            raise RuntimeError("no port free for both UDP and TCP")
        udp.daemon_threads = tcp.daemon_threads = True
        self.udp, self.tcp, self.port = udp, tcp, port
        for server in (udp, tcp):
            # stop() waits for serve_forever to look up: every 50 ms, not the default 0.5 s.
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self):
        for server in (self.udp, self.tcp):
            if server is not None:
                server.shutdown()
                server.server_close()

    @property
    def nameserver(self):
        return f"127.0.0.1:{self.port}"


def _read_exact(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


@pytest.fixture
def fake_dns():
    dns = FakeDNS().start()
    yield dns
    dns.stop()


# --------------------------------------------------------------------------
# a private CA for the peers (not Tsubame's): openssl


PEER_NAMES = ("relay.test", "mx.peer.test", "mx.pf.test", "localhost")


@pytest.fixture(scope="session")
def peer_ca(tmp_path_factory):
    """A CA and one leaf certificate for every peer name in PEER_NAMES and 127.0.0.1:
    {"ca": ca.pem, "cert": leaf.pem, "key": leaf-key.pem, "chain": key + leaf + ca (Postfix)}."""
    d = tmp_path_factory.mktemp("peer-ca")
    os.chmod(d, 0o755)   # Postfix's daemons read the chain file

    def openssl(*args):
        p = subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", d / "ca-key.pem", "-out", d / "ca.pem", "-days", "2", "-subj", "/CN=Outbound Test Peer CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", d / "leaf-key.pem", "-out", d / "leaf.csr", "-subj", "/CN=relay.test")
    (d / "ext.cnf").write_text(
        "subjectAltName=" + ",".join([f"DNS:{n}" for n in PEER_NAMES] + ["IP:127.0.0.1"]) + "\n"
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", d / "leaf.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca-key.pem",
            "-CAcreateserial", "-out", d / "leaf.pem", "-days", "2", "-extfile", d / "ext.cnf")
    chain = d / "chain.pem"
    chain.write_bytes((d / "leaf-key.pem").read_bytes() + (d / "leaf.pem").read_bytes() + (d / "ca.pem").read_bytes())
    for f in d.iterdir():
        os.chmod(f, 0o644)
    return {"ca": d / "ca.pem", "cert": d / "leaf.pem", "key": d / "leaf-key.pem", "chain": chain}


def server_tls_context(peer_ca):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(peer_ca["cert"]), str(peer_ca["key"]))
    return ctx


# --------------------------------------------------------------------------
# SMTP peers (aiosmtpd, on an asyncio loop in a thread)


class PeerLoop:
    """One asyncio loop in a daemon thread for all the peers of a test."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers = []

    def run(self, coro, timeout=10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def listen(self, factory, port=0, ssl_context=None):
        async def start():
            return await self.loop.create_server(factory, "127.0.0.1", port, ssl=ssl_context,
                                                 reuse_address=True)
        server = self.run(start())
        self.servers.append(server)
        return server, server.sockets[0].getsockname()[1]

    def close(self):
        async def stop():
            for server in self.servers:
                server.close()
            for server in self.servers:
                try:
                    await asyncio.wait_for(server.wait_closed(), 2)
                except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                    pass
        try:
            self.run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


@pytest.fixture
def peer_loop():
    loop = PeerLoop()
    yield loop
    loop.close()


class Received:
    def __init__(self, mail_from, rcpt_tos, content, session, implicit_tls):
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.content = content           # bytes, CRLF, as sent (dot-unstuffed)
        self.tls = implicit_tls or session.ssl is not None
        self.login = session.auth_data if session.authenticated else None   # the user name
        self.helo = session.host_name


class SMTPPeer:
    """An aiosmtpd server with scriptable answers.

    rcpt(address, attempt) -> None to accept, or a reply ("550 5.1.1 ...") — `attempt` counts
    RCPT commands for that address, from 1. data(attempt) -> None to accept, or a reply; it may
    also block (a stall), it runs in a thread. `messages` holds what was accepted."""

    def __init__(self, peer_loop, port=0, tls=None, implicit_tls=False, credentials=None,
                 auth_exclude=(), rcpt=None, data=None, hostname="mx.peer.test"):
        from aiosmtpd.smtp import SMTP
        self.messages: list[Received] = []
        self.rcpt_attempts: dict[str, int] = {}
        self.data_attempts = 0
        self.auth_attempts: list[tuple[str, str, str, bool]] = []  # (mechanism, user, password, ok)
        self.sessions = 0
        self.rcpt_rule, self.data_rule = rcpt, data
        self.implicit_tls = implicit_tls
        self.credentials = credentials
        self.cond = threading.Condition()
        handler = _PeerHandler(self)
        kwargs = dict(hostname=hostname, decode_data=False, enable_SMTPUTF8=True,
                      auth_exclude_mechanism=list(auth_exclude) or None)
        if credentials is not None:
            # aiosmtpd only knows TLS it started itself (STARTTLS): on implicit TLS it would
            # not offer AUTH while auth_require_tls is set.
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=not implicit_tls)
        if tls is not None and not implicit_tls:
            kwargs["tls_context"] = tls

        def factory():
            self.sessions += 1
            with warnings.catch_warnings():   # "AUTH while not requiring TLS": on implicit TLS it is
                warnings.simplefilter("ignore")
                return SMTP(handler, loop=peer_loop.loop, **kwargs)
        self.server, self.port = peer_loop.listen(factory, port, ssl_context=tls if implicit_tls else None)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        user = auth_data.login.decode(errors="replace")
        password = auth_data.password.decode(errors="replace")
        ok = self.credentials.get(user) == password
        with self.cond:
            self.auth_attempts.append((mechanism, user, password, ok))
            self.cond.notify_all()
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    def wait_messages(self, count=1, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"peer on {self.port}: {len(self.messages)} message(s) after {timeout}s, "
                                f"want {count}")
                self.cond.wait(left)
            return list(self.messages)


class _PeerHandler:
    def __init__(self, peer: SMTPPeer):
        self.peer = peer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        peer = self.peer
        with peer.cond:
            attempt = peer.rcpt_attempts[address] = peer.rcpt_attempts.get(address, 0) + 1
        reply = peer.rcpt_rule(address, attempt) if peer.rcpt_rule else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        peer = self.peer
        with peer.cond:
            peer.data_attempts += 1
            attempt = peer.data_attempts
        if peer.data_rule:
            reply = await asyncio.get_running_loop().run_in_executor(None, peer.data_rule, attempt)
            if reply:
                return reply
        with peer.cond:
            peer.messages.append(Received(envelope.mail_from, envelope.rcpt_tos, envelope.original_content
                                          or envelope.content, session, peer.implicit_tls))
            peer.cond.notify_all()
        return "250 2.0.0 queued as peer-%d" % attempt


# --------------------------------------------------------------------------
# Tsubame sites


class Sites:
    """Factory of Tsubame data folders (each `tsubame init` with its own CA) and their servers;
    every server still running at the end is stopped with SIGTERM and must exit 0."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.servers: list[Server] = []

    def make(self, name, hostname, domain, users=("alice", "bob")):
        d = DataDir(self.tmp_path / name)
        d.init(hostname=hostname, domain=domain)
        for u in users:
            d.add_user(f"{u}@{domain}")
        return d

    def start(self, datadir) -> Server:
        srv = Server(datadir)
        self.servers.append(srv)
        return srv.start()

    def stop_all(self):
        failures = []
        for srv in self.servers:
            if srv.proc is None or srv.port is None:   # never started: the test failed already
                continue
            srv.close_clients()
            killed = srv.proc.returncode == -signal.SIGKILL
            rc = srv.stop()
            print(f"--- {srv.datadir.path.name} log (last lines) ---\n{srv.log()}")
            if rc != 0 and not killed:
                failures.append(f"{srv.datadir.path.name}: exit code {rc} after SIGTERM\n{srv.log()}")
        assert not failures, "\n".join(failures)


@pytest.fixture
def sites(tmp_path, peer_loop):
    # peer_loop first, so it is torn down after the servers: a server stopping says QUIT on
    # the connection it kept to a peer, and a peer loop already stopped would leave that
    # QUIT unanswered until the client's timeout (5 s per test).
    s = Sites(tmp_path)
    yield s
    s.stop_all()


def set_config(datadir: DataDir, table, **values):
    """DataDir.set_table plus lists (TOML arrays of strings) and dotted/quoted keys passed as
    a dict: set_config(d, "delivery.routes", **{'"b.test"': "[127.0.0.1]:2525"})."""
    raw = {}
    plain = {}
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            marker = f"@@raw{len(raw)}@@"
            raw[f'"{marker}"'] = "[" + ", ".join('"' + str(v) + '"' for v in value) + "]"
            plain[key] = marker
        else:
            plain[key] = value
    datadir.set_table(table, **plain)
    if raw:
        text = datadir.config.read_text(encoding="utf-8")
        for marker, value in raw.items():
            text = text.replace(marker, value)
        datadir.config.write_text(text, encoding="utf-8")


FAST_QUEUE = dict(first_retry=1, max_retry_interval=2, max_lifetime=3600, delay_warning=3000)


def sender_site(sites, dns: FakeDNS, smtp_port=25, queue=None, delivery=None, tls=None, hostname=A_HOST,
                domain=A_DOMAIN):
    """Site A's data folder: alice and bob@a.test, the fake DNS as resolver, MX hosts dialled
    on SMTP_PORT, fast retries (FAST_QUEUE updated by QUEUE). Not started."""
    a = sites.make("a", hostname, domain)
    set_config(a, "dns", nameservers=[dns.nameserver])
    set_config(a, "delivery", smtp_port=smtp_port, connect_timeout=5, **(delivery or {}))
    set_config(a, "queue", **{**FAST_QUEUE, **(queue or {})})
    if tls:
        set_config(a, "delivery.tls", **tls)
    return a


def submit(server: Server, datadir: DataDir, rcpts, msg: bytes, sender=ALICE, password=PASSWORD):
    """Authenticated submission on 587 (STARTTLS verified against the site's own CA)."""
    rcpts = [rcpts] if isinstance(rcpts, str) else list(rcpts)
    ctx = ssl.create_default_context(cafile=str(datadir.path / "tls" / "ca.pem"))
    with smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30, local_hostname=CLIENT_HELO) as c:
        c.starttls(context=ctx)
        c.ehlo(CLIENT_HELO)
        c.login(sender, password)
        refused = c.sendmail(sender, rcpts, msg)
        assert refused == {}, refused


_counter = [0]


def make_message(subject, sender=ALICE, to="bob@b.test", body=None):
    """A complete message (Date and Message-ID given, so the submission server adds nothing)
    with the parts a relay must carry through: dot lines, 8-bit UTF-8, a long line, blanks."""
    _counter[0] += 1
    n = _counter[0]
    body = body if body is not None else (
        b".leading dot\r\n..two dots\r\n.\r\n\r\n" + "Grüße, 燕 — outbound\r\n".encode()
        + b"trailing blanks   \r\n\tTab\r\n" + b"y" * 900 + b"\r\nend\r\n")
    return (f"From: Alice <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 30 Nov 2026 12:00:{n % 60:02d} +0000\r\n"
            f"Message-ID: <outbound-{n}-{os.getpid()}@a.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + body


def strip_trace(content: bytes) -> bytes:
    """CONTENT without the trace header fields in front (Return-Path, Received, and the
    X-Original-To and Delivered-To of Postfix's virtual(8), with their continuation lines)."""
    m = re.compile(rb"(?:(?:Return-Path|Received|X-Original-To|Delivered-To):[^\n]*\n(?:[ \t][^\n]*\n)*)*", re.I).match(content)
    return content[m.end():]


def trace_fields(content: bytes) -> bytes:
    return content[:len(content) - len(strip_trace(content))]


# --------------------------------------------------------------------------
# the delivery log


def delivery_lines(server: Server, status=None, to=None):
    """Parsed `delivery:` log lines (LogLine), optionally only STATUS / recipient TO."""
    with server.cond:
        texts = [line for name, line in server.lines if name == "stderr"]
    out = []
    for text in texts:
        if " delivery: " not in text:
            continue
        line = LogLine(text)
        fields = dict(line.fields)
        if status is not None and fields.get("status") != status.encode():
            continue
        if to is not None and fields.get("to") != f"<{to}>".encode():
            continue
        out.append(line)
    return out


def wait_delivery(server: Server, status, to, count=1, timeout=WAIT):
    """Wait for COUNT `delivery:` lines with STATUS for TO; return them as dicts (str values)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = delivery_lines(server, status, to)
        if len(lines) >= count:
            return [{k: v.decode(errors="replace") for k, v in line.fields} for line in lines]
        if not server.running():
            pytest.fail(f"server exited ({server.proc.returncode}) before a status={status} line for {to}:\n"
                        f"{server.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {count} status={status} line(s) for <{to}> within {timeout}s:\n{server.log()}")
        time.sleep(0.05)


# --------------------------------------------------------------------------
# the queue


def queue_entries(datadir):
    return datadir.queue_list()


def wait_queue_empty(datadir, timeout=WAIT):
    wait_until(lambda: datadir.queue_list() == [], timeout, f"{datadir.path.name}'s queue to empty")
    assert list((datadir.path / "queue" / "messages").glob("*")) == [] \
        if (datadir.path / "queue" / "messages").is_dir() else True


def queue_cli(datadir, *args, check=True):
    return run_cli("queue", *args, "--data", datadir.path, check=check)


def only_entry(datadir):
    entries = datadir.queue_list()
    assert len(entries) == 1, entries
    return entries[0]


# --------------------------------------------------------------------------
# DSNs


def parse_dsn(path):
    return email.message_from_bytes(Path(path).read_bytes(), policy=email.policy.default)


class DSN:
    """A delivery status notification as Python's `email` package reads it."""

    def __init__(self, path):
        self.path = Path(path)
        self.raw = self.path.read_bytes()
        self.msg = parse_dsn(path)
        assert self.msg.get_content_type() == "multipart/report", self.msg.get_content_type()
        assert self.msg.get_param("report-type") == "delivery-status", self.msg["Content-Type"]
        parts = list(self.msg.iter_parts())
        assert len(parts) >= 2, [p.get_content_type() for p in parts]
        assert parts[0].get_content_type() == "text/plain", [p.get_content_type() for p in parts]
        self.text = parts[0].get_content()
        [status] = [p for p in parts if p.get_content_type() == "message/delivery-status"]
        blocks = status.get_payload()
        assert isinstance(blocks, list) and len(blocks) >= 2, blocks
        self.per_message = blocks[0]
        self.recipients = blocks[1:]
        self.returned = [p for p in parts[2:]]

    def recipient(self, address):
        found = [r for r in self.recipients if _addr(r["Final-Recipient"]) == address.lower()]
        assert len(found) == 1, f"{address}: {[str(r) for r in self.recipients]}"
        return found[0]

    @property
    def final_recipients(self):
        return [_addr(r["Final-Recipient"]) for r in self.recipients]


def _addr(field):
    text = str(field)
    kind, _, address = text.partition(";")
    assert kind.strip().lower() == "rfc822", text
    return address.strip().lower()


def wait_dsns(datadir, address, count=1, timeout=WAIT):
    """The DSN files in ADDRESS's Maildir new/ once there are COUNT of them."""
    return [DSN(p) for p in datadir.wait_new(address, count, timeout)]


def check_dsn_envelope(dsn: DSN, site_hostname=A_HOST, to=ALICE):
    m = dsn.msg
    assert m["Auto-Submitted"] == "auto-replied", m["Auto-Submitted"]
    assert str(m["From"]).lower().find(f"mailer-daemon@{site_hostname}".lower()) >= 0, m["From"]
    assert to.lower() in str(m["To"]).lower(), m["To"]
    rp = re.match(rb"Return-Path: ([^\r\n]*)", dsn.raw)
    assert rp is None or rp.group(1) == b"<>", dsn.raw[:300]     # a DSN's reverse path is null
    assert dsn.per_message["Reporting-MTA"].lower().startswith("dns;"), dsn.per_message["Reporting-MTA"]
    assert "Arrival-Date" in dsn.per_message, str(dsn.per_message)


# --------------------------------------------------------------------------
# running the server where it must refuse to start


def serve_expecting_failure(datadir, timeout=15):
    """`tsubame serve` that must exit by itself (non-zero); returns (code, stderr text)."""
    listen = [a for n in ("smtp", "submission", "submissions", "pop3", "pop3s")
              for a in ("--listen", f"{n}=127.0.0.1:0")]
    p = subprocess.Popen([str(BIN), "serve", "--data", str(datadir.path), *listen],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=STOP_TIMEOUT)
        pytest.fail(f"serve kept running; stderr:\n{err.decode(errors='replace')}")
    return p.returncode, (err + out).decode(errors="replace")


# --------------------------------------------------------------------------
# a hostile peer: STARTTLS response injection (CVE-2011-0411, the client side)


class InjectionPeer:
    """A raw SMTP peer that offers STARTTLS and answers it with "220 ready" and a "250
    injected" in the same write. `connections` holds one record per connection: the lines it
    received, and `after` = the bytes received after the injection (a correct client sends
    none: it closes)."""

    def __init__(self, peer_loop, port=0):
        self.connections: list[dict] = []
        self.cond = threading.Condition()
        peer = self

        class Protocol(asyncio.Protocol):
            def connection_made(self, transport):
                self.transport = transport
                self.buf = b""
                self.record = {"lines": [], "injected": False, "after": b"", "closed": False}
                with peer.cond:
                    peer.connections.append(self.record)
                    peer.cond.notify_all()
                transport.write(b"220 mx.peer.test ESMTP hostile\r\n")

            def data_received(self, data):
                if self.record["injected"]:
                    with peer.cond:
                        self.record["after"] += data
                        peer.cond.notify_all()
                    return
                self.buf += data
                while b"\r\n" in self.buf:
                    line, self.buf = self.buf.split(b"\r\n", 1)
                    with peer.cond:
                        self.record["lines"].append(line)
                        peer.cond.notify_all()
                    verb = line[:10].upper()
                    if verb.startswith((b"EHLO", b"HELO")):
                        self.transport.write(b"250-mx.peer.test\r\n250-8BITMIME\r\n250 STARTTLS\r\n")
                    elif verb.startswith(b"STARTTLS"):
                        self.record["injected"] = True
                        self.transport.write(b"220 ready\r\n250 injected\r\n")
                        self.record["after"] = self.buf
                        self.buf = b""
                        return
                    elif verb.startswith(b"QUIT"):
                        self.transport.write(b"221 bye\r\n")
                        self.transport.close()
                    else:
                        # Never accept mail: a plaintext fallback must not deliver either.
                        self.transport.write(b"451 4.3.0 this peer accepts nothing\r\n")

            def connection_lost(self, exc):
                with peer.cond:
                    self.record["closed"] = True
                    peer.cond.notify_all()

        self.server, self.port = peer_loop.listen(Protocol, port)


# --------------------------------------------------------------------------
# a private Postfix instance (bench/postfixlib.py)


class PrivatePostfix:
    """bench/postfixlib's throw-away Postfix (own config, queue and data folders; smtpd on a
    free 127.0.0.1 port; virtual(8) Maildir delivery for user001@DOMAIN) with extra main.cf
    settings. Its folder is under /tmp with mode 0755 (pytest's tmp folders are 0700, which the
    postfix and nobody users cannot traverse)."""

    def __init__(self, domain, tls_chain=None, main_cf=None, files=None):
        """FILES: name -> text written into the config folder; "{conf}" in MAIN_CF values is
        that folder."""
        import sys
        import tempfile
        bench = Path(__file__).resolve().parent.parent / "bench"
        if str(bench) not in sys.path:
            sys.path.insert(0, str(bench))
        from postfixlib import Postfix
        self.workdir = Path(tempfile.mkdtemp(prefix="tsubame-e2e-postfix-", dir="/tmp"))
        os.chmod(self.workdir, 0o755)
        self.port = free_port()
        self.pf = Postfix(self.workdir, users=1, domain=domain, port=self.port, tls_chain=tls_chain)
        self.pf.setup()
        from postfixlib import MASTER_CF_TLS
        master = self.pf.conf / "master.cf"
        if "tlsmgr" not in master.read_text():   # the smtp client's TLS needs it too
            master.write_text(master.read_text() + MASTER_CF_TLS)
        for name, text in (files or {}).items():
            (self.pf.conf / name).write_text(text)
            os.chmod(self.pf.conf / name, 0o644)
        settings = {k: v.replace("{conf}", str(self.pf.conf)) for k, v in (main_cf or {}).items()}
        if settings:
            p = subprocess.run(["postconf", "-c", str(self.pf.conf), "-e",
                                *[f"{k}={v}" for k, v in settings.items()]], capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
        self.user = f"user001@{domain}"
        self.maildir = self.pf.vmail / domain / "user001"

    def start(self):
        self.pf.start()
        return self

    def new_files(self):
        d = self.maildir / "new"
        return sorted(d.iterdir()) if d.is_dir() else []

    def log(self):
        return self.pf.log_tail(60)

    def stop(self):
        import shutil
        try:
            self.pf.stop()
        finally:
            print(f"--- postfix maillog ---\n{self.pf.log_tail(60)}")
            shutil.rmtree(self.workdir, ignore_errors=True)


def postfix_available():
    return os.geteuid() == 0 and Path("/usr/sbin/postfix").exists() and Path("/usr/sbin/postconf").exists()
