"""`tsubame cert show HOST:PORT`: the certificate a live server presents, fetched over implicit
TLS, SMTP STARTTLS (RFC 3207) or POP3 STLS (RFC 2595), checked like a file; failures to fetch
exit 2 with the reason on stderr."""

import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import HOSTNAME, run_cli


def openssl_identity(datadir):
    """(serial as lower-case hex, SHA-256 fingerprint) of DIR/tls/server.pem, by openssl."""
    out = subprocess.run(["openssl", "x509", "-in", datadir.path / "tls" / "server.pem", "-noout",
                          "-serial", "-fingerprint", "-sha256"], capture_output=True, text=True, check=True).stdout
    serial = re.search(r"serial=([0-9A-F]+)", out).group(1).lower()
    fingerprint = re.search(r"Fingerprint=([0-9A-F:]+)", out).group(1)
    return serial, fingerprint


def show(datadir, target, *args, timeout=60):
    proc = run_cli("cert", "show", target, "--data", datadir.path, *args, check=False, timeout=timeout)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def assert_usable_and_same_as_file(out, datadir):
    serial, fingerprint = openssl_identity(datadir)
    assert re.search(rf"(?m)^Serial:\s+0*{serial.lstrip('0')}$", out), out
    assert re.search(rf"(?m)^SHA-256:\s+{fingerprint}$", out), out
    assert re.search(r"(?m)^Chain:\s+2 certificates, verifies$", out), out
    assert re.search(rf"(?m)^Host:\s+{re.escape(HOSTNAME)} matches$", out), out
    assert out.rstrip().endswith("Result: usable"), out


class Listener:
    """A TCP listener on 127.0.0.1 that answers each connection with SCRIPT(conn), in a thread."""

    def __init__(self, script):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.script = script
        self.received = b""
        self.closing = threading.Event()   # a silent script waits on it, so close() need not
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(30)
            try:
                self.script(self, conn)
            except OSError:
                pass

    def read_line(self, conn):
        while b"\r\n" not in self.received:
            chunk = conn.recv(4096)
            if not chunk:
                raise OSError("closed")
            self.received += chunk
        line, self.received = self.received.split(b"\r\n", 1)
        return line

    def close(self):
        self.closing.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def listener():
    made = []

    def make(script):
        made.append(Listener(script))
        return made[-1]

    yield make
    for each in made:
        each.close()


def test_smtp_starttls_shows_the_served_certificate(server, datadir):
    rc, out, err = show(datadir, f"127.0.0.1:{server.port}", "--starttls", "smtp", "--host", HOSTNAME)
    assert rc == 0, out + err
    first = out.splitlines()[0]
    assert re.fullmatch(rf"Server:\s+127\.0\.0\.1:{server.port} \(SMTP STARTTLS\), TLSv1\.[23]( with cipher \S+)?", first), out
    assert_usable_and_same_as_file(out, datadir)
    assert re.search(r"TLS established", server.log())


def test_pop3_stls_shows_the_served_certificate(pop3_server, datadir):
    rc, out, err = show(datadir, f"127.0.0.1:{pop3_server.pop3_port}", "--starttls", "pop3", "--host", HOSTNAME)
    assert rc == 0, out + err
    assert "(POP3 STLS)" in out.splitlines()[0], out
    assert_usable_and_same_as_file(out, datadir)


def test_pop3s_implicit_tls_shows_the_served_certificate(pop3_server, datadir):
    rc, out, err = show(datadir, f"127.0.0.1:{pop3_server.pop3s_port}", "--host", HOSTNAME)
    assert rc == 0, out + err
    assert "(implicit TLS)" in out.splitlines()[0], out
    assert_usable_and_same_as_file(out, datadir)


def test_host_defaults_to_the_target_host(pop3_server, datadir):
    # the certificate `tsubame init` makes names 127.0.0.1 as well
    rc, out, err = show(datadir, f"127.0.0.1:{pop3_server.pop3s_port}")
    assert rc == 0, out + err
    assert re.search(r"(?m)^Host:\s+127\.0\.0\.1 matches$", out), out


def test_explicit_ca_file_is_used(pop3_server, datadir, tmp_path):
    other = tmp_path / "other-ca"
    run_cli("init", "--data", other, "--hostname", "other.example", "--domain", "other.example")
    rc, out, err = show(datadir, f"127.0.0.1:{pop3_server.pop3s_port}", "--host", HOSTNAME,
                        "--ca", other / "tls" / "ca.pem")
    assert rc == 1, out + err
    assert re.search(r"(?m)^Chain:\s+2 certificates, does NOT verify", out), out


def test_wrong_host_is_unusable(pop3_server, datadir):
    rc, out, err = show(datadir, f"127.0.0.1:{pop3_server.pop3s_port}", "--host", "wrong.example")
    assert rc == 1, out + err
    assert "Unusable: not valid for wrong.example" in out, out
    assert out.rstrip().endswith("Result: NOT usable"), out


def test_closed_port_fails_to_fetch(datadir):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()   # nobody listens there now
    rc, out, err = show(datadir, f"127.0.0.1:{port}")
    assert rc == 2, out + err
    assert out == ""
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in err, err


def test_silent_server_times_out_within_the_timeout(datadir, listener):
    silent = listener(lambda self, conn: self.closing.wait(10))
    started = time.monotonic()
    rc, out, err = show(datadir, f"127.0.0.1:{silent.port}", "--starttls", "smtp", "--timeout", "2")
    elapsed = time.monotonic() - started
    assert rc == 2, out + err
    assert "no answer from 127.0.0.1" in err and "within 2 s (waiting for the SMTP greeting)" in err, err
    assert elapsed < 6, elapsed


def test_silent_server_times_out_during_the_handshake(datadir, listener):
    silent = listener(lambda self, conn: self.closing.wait(10))
    rc, out, err = show(datadir, f"127.0.0.1:{silent.port}", "--timeout", "1")
    assert rc == 2, out + err
    assert "waiting for the TLS handshake" in err, err


@pytest.mark.parametrize("table_value", ["none"])
def test_smtp_without_tls_does_not_offer_starttls(datadir, start_server, table_value):
    datadir.set_table("tls", smtp=table_value)
    server = start_server()
    rc, out, err = show(datadir, f"127.0.0.1:{server.port}", "--starttls", "smtp")
    assert rc == 2, out + err
    assert "the server does not offer STARTTLS" in err, err
    assert "TLS established" not in server.log()


def test_starttls_refused_with_454_is_reported(datadir, listener):
    def script(self, conn):
        conn.sendall(b"220 fake.example ESMTP\r\n")
        assert self.read_line(conn).startswith(b"EHLO [127.0.0.1]")
        conn.sendall(b"250-fake.example\r\n250 STARTTLS\r\n")
        assert self.read_line(conn) == b"STARTTLS"
        conn.sendall(b"454 4.7.0 TLS not available due to temporary reason\r\n")
        time.sleep(1)

    fake = listener(script)
    rc, out, err = show(datadir, f"127.0.0.1:{fake.port}", "--starttls", "smtp")
    assert rc == 2, out + err
    assert 'the server refused STARTTLS: "454 4.7.0 TLS not available due to temporary reason"' in err, err


def test_pop3_stls_refused_is_reported(datadir, listener):
    def script(self, conn):
        conn.sendall(b"+OK fake POP3\r\n")
        assert self.read_line(conn) == b"STLS"
        conn.sendall(b"-ERR not now\r\n")
        time.sleep(1)

    fake = listener(script)
    rc, out, err = show(datadir, f"127.0.0.1:{fake.port}", "--starttls", "pop3")
    assert rc == 2, out + err
    assert 'the server refused STLS: "-ERR not now"' in err, err


def test_not_a_mail_server_is_reported(datadir, listener):
    fake = listener(lambda self, conn: (conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"), time.sleep(1)))
    rc, out, err = show(datadir, f"127.0.0.1:{fake.port}", "--starttls", "smtp")
    assert rc == 2, out + err
    assert 'malformed SMTP reply line while sending the SMTP greeting: "SSH-2.0-OpenSSH_9.6"' in err, err


def test_plaintext_server_fails_the_handshake(server, datadir):
    # the smtp port without --starttls: the server greets in plaintext, TLS fails
    rc, out, err = show(datadir, f"127.0.0.1:{server.port}", "--timeout", "5")
    assert rc == 2, out + err
    assert "the TLS handshake failed" in err, err


def test_old_tls_only_server_is_reported(datadir, tmp_path):
    tls = datadir.path / "tls"
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    s_server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", tls / "server.pem",
         "-key", tls / "server-key.pem", "-tls1_1", "-quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "openssl s_server did not start"
                time.sleep(0.1)
        rc, out, err = show(datadir, f"127.0.0.1:{port}", "--timeout", "5")
    finally:
        s_server.kill()
        s_server.wait(10)
    assert rc == 2, out + err
    assert "the server offers no TLS version Tsubame accepts (1.2 or 1.3)" in err, err


def test_existing_file_named_like_a_target_is_read_as_a_file(datadir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mx.test.example:25").write_bytes((datadir.path / "tls" / "server-chain.pem").read_bytes())
    rc, out, err = show(datadir, "mx.test.example:25", "--host", HOSTNAME)
    assert rc == 0, out + err
    assert out.startswith("File:"), out


def test_starttls_with_a_file_is_refused(datadir):
    rc, out, err = show(datadir, str(datadir.path / "tls" / "server-chain.pem"), "--starttls", "smtp")
    assert rc != 0
    assert "--starttls needs a HOST:PORT target" in err, err


def test_host_is_sent_as_sni_and_picks_that_certificate(datadir, start_server):
    # needs the SNI certificates of `cert issue --sni` (test_tls_sni.py)
    run_cli("cert", "issue", "other.example", "mail.other.example", "--sni", "--data", datadir.path)
    server = start_server(pop3=True)
    server.wait_for_line(r"TLS certificates by SNI for .*other\.example", 10)
    for target, extra in ((f"127.0.0.1:{server.pop3s_port}", ()),
                          (f"127.0.0.1:{server.port}", ("--starttls", "smtp"))):
        rc, out, err = show(datadir, target, "--host", "mail.other.example", *extra)
        assert rc == 0, out + err
        assert re.search(r"(?m)^Names \(SAN\):\s+other\.example, mail\.other\.example$", out), out
        assert re.search(r"(?m)^Host:\s+mail\.other\.example matches$", out), out
    # an IP literal is never sent as SNI (RFC 6066 §3): the default certificate comes
    rc, out, err = show(datadir, f"127.0.0.1:{server.pop3s_port}")
    assert rc == 0, out + err
    assert re.search(rf"(?m)^Names \(SAN\):\s+{re.escape(HOSTNAME)},", out), out
