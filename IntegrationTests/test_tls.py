"""TLS in the servers: SMTP STARTTLS (RFC 3207), POP3 STLS (RFC 2595), implicit TLS on pop3s
(RFC 8314), verified against the private CA with host name checks; protocol and cipher
policy checked with openssl; STARTTLS/STLS command injection."""

import poplib
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import HOSTNAME, PASSWORD, run_cli, run_fetchmail

ALICE = "alice@test.example"


def ca_context(datadir):
    context = ssl.create_default_context(cafile=str(datadir.path / "tls" / "ca.pem"))
    context.check_hostname = True
    return context


def received_header(path):
    text = path.read_text()
    match = re.search(r"^Received: .*?(?=^\S)", text, re.M | re.S)
    assert match, text[:300]
    return match.group(0)


def test_init_creates_a_private_ca_and_server_certificate(datadir):
    tls = datadir.path / "tls"
    for name in ["ca.pem", "server.pem", "server-chain.pem"]:
        assert (tls / name).is_file(), name
    for name in ["ca-key.pem", "server-key.pem"]:
        assert (tls / name).stat().st_mode & 0o777 == 0o600, name
    verify = subprocess.run(["openssl", "verify", "-CAfile", tls / "ca.pem", tls / "server.pem"],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_smtp_starttls_verifies_and_resets_the_session(pop3_server, datadir):
    with smtplib.SMTP("127.0.0.1", pop3_server.port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.has_extn("starttls")
        # the certificate names 127.0.0.1 too, which is what smtplib checks here
        code, _ = client.starttls(context=ca_context(datadir))
        assert code == 220
        # RFC 3207 §4.2: the session starts over; MAIL needs a new EHLO
        code, _ = client.docmd("MAIL", "FROM:<a@example.net>")
        assert code == 503
        client.ehlo("client.example")
        assert not client.has_extn("starttls")
        code, message = client.docmd("STARTTLS")
        assert code == 503, message
        client.sendmail("bob@example.net", [ALICE], b"Subject: tls\r\n\r\nover TLS\r\n")
    stored = datadir.wait_new(ALICE)[0]
    received = received_header(stored)
    assert " with ESMTPS id " in received
    assert re.search(r"\n\t\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)\n", received), received
    assert stored.read_bytes().endswith(b"Subject: tls\n\nover TLS\n")
    assert re.search(r"TLS established .*tls=\"TLSv1\.[23] with cipher", pop3_server.log())


def test_wrong_host_name_fails_verification(pop3_server, datadir):
    with socket.create_connection(("127.0.0.1", pop3_server.pop3s_port), timeout=30) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            ca_context(datadir).wrap_socket(raw, server_hostname="wrong.example")


def test_starttls_injection_is_not_executed(pop3_server):
    with socket.create_connection(("127.0.0.1", pop3_server.port), timeout=30) as raw:
        stream = raw.makefile("rb")
        stream.readline()
        raw.sendall(b"EHLO x\r\n")
        while not stream.readline().startswith(b"250 "):
            pass
        raw.sendall(b"STARTTLS\r\nNOOP\r\n")
        rest = stream.read()  # until the server closes
    assert b"250" not in rest, rest
    assert b"220" not in rest, rest


def test_pop3_stls_then_login(pop3_server, datadir):
    pop3_server.deliver([ALICE], b"Subject: p\r\n\r\nhello\r\n")
    client = poplib.POP3("127.0.0.1", pop3_server.pop3_port, timeout=30)
    assert "STLS" in client.capa()
    client.stls(context=ca_context(datadir))
    assert "STLS" not in client.capa()
    client.user(ALICE)
    client.pass_(PASSWORD)
    assert client.stat()[0] == 1
    with pytest.raises(poplib.error_proto):  # STLS only once, and not after login
        client._shortcmd("STLS")
    client.quit()


def test_stls_injection_is_not_executed(pop3_server):
    with socket.create_connection(("127.0.0.1", pop3_server.pop3_port), timeout=30) as raw:
        stream = raw.makefile("rb")
        stream.readline()
        raw.sendall(b"STLS\r\nCAPA\r\n")
        rest = stream.read()
    assert b"+OK" not in rest, rest


def test_pop3s_implicit_tls(pop3_server, datadir):
    pop3_server.deliver([ALICE], b"Subject: s\r\n\r\nsecure\r\n")
    client = poplib.POP3_SSL("127.0.0.1", pop3_server.pop3s_port, context=ca_context(datadir), timeout=30)
    assert "STLS" not in client.capa()
    client.user(ALICE)
    client.pass_(PASSWORD)
    response, lines, _ = client.retr(1)
    assert lines[-1] == b"secure"
    client.quit()


def s_client(*args, stdin=b"QUIT\r\n"):
    return subprocess.run(["openssl", "s_client", "-connect", *args], input=stdin, capture_output=True, timeout=30)


def test_old_protocols_and_weak_ciphers_are_refused(pop3_server):
    port = str(pop3_server.pop3s_port)
    assert s_client(f"127.0.0.1:{port}", "-tls1_2").returncode == 0
    assert s_client(f"127.0.0.1:{port}", "-tls1_1").returncode != 0
    assert s_client(f"127.0.0.1:{port}", "-tls1").returncode != 0
    # not forward-secret, and CBC: refused
    assert s_client(f"127.0.0.1:{port}", "-tls1_2", "-cipher", "AES128-SHA").returncode != 0
    assert s_client(f"127.0.0.1:{port}", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA").returncode != 0
    good = s_client(f"127.0.0.1:{pop3_server.port}", "-starttls", "smtp", "-tls1_2")
    assert good.returncode == 0
    assert re.search(rb"Cipher is ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)", good.stdout), good.stdout


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_a_returning_client_resumes_its_tls_session(pop3_server, tmp_path, version):
    # RFC 8446 §2.2 (tickets) and RFC 5077 (TLS 1.2 tickets): a client that kept its session
    # skips the full handshake on its next connection, on implicit TLS and on STARTTLS.
    for name, args in [("pop3s", [f"127.0.0.1:{pop3_server.pop3s_port}"]),
                       ("smtp", [f"127.0.0.1:{pop3_server.port}", "-starttls", "smtp"])]:
        saved = tmp_path / f"{name}{version}.session"
        first = s_client(*args, version, "-ign_eof", "-sess_out", str(saved))
        assert first.returncode == 0 and b"New, TLS" in first.stdout, first.stdout
        again = s_client(*args, version, "-ign_eof", "-sess_in", str(saved))
        assert again.returncode == 0 and b"Reused, TLS" in again.stdout, (name, again.stdout)
    # A client without a saved session gets a full handshake, not someone else's.
    fresh = s_client(f"127.0.0.1:{pop3_server.pop3s_port}", version, "-ign_eof")
    assert b"New, TLS" in fresh.stdout


def test_min_version_1_3_refuses_tls_1_2(datadir, start_server):
    datadir.set_table("tls", min_version="1.3")
    server = start_server(pop3=True)
    port = str(server.pop3s_port)
    assert s_client(f"127.0.0.1:{port}", "-tls1_2").returncode != 0
    assert s_client(f"127.0.0.1:{port}", "-tls1_3").returncode == 0
    assert s_client(f"127.0.0.1:{server.port}", "-starttls", "smtp", "-tls1_2").returncode != 0
    assert s_client(f"127.0.0.1:{server.port}", "-starttls", "smtp", "-tls1_3").returncode == 0


@pytest.mark.parametrize("table_value", ["required"])
def test_smtp_required_tls_refuses_mail_before_starttls(datadir, start_server, table_value):
    datadir.set_table("tls", smtp=table_value, pop3=table_value)
    datadir.set_table("auth", failure_delay_ms=0)
    server = start_server(pop3=True)
    with server.connect() as client:
        client.ehlo()
        client.expect("MAIL FROM:<a@example.net>", 530, "5.7.0")
        client.expect("NOOP", 250)
    with server.pop3() as pop:
        # plaintext passwords are refused before STLS, loopback included
        assert pop.cmd(f"USER {ALICE}").startswith("-ERR")


def test_sighup_reloads_the_certificate_and_refuses_a_broken_one(pop3_server, datadir):
    def serial():
        with socket.create_connection(("127.0.0.1", pop3_server.pop3s_port), timeout=30) as raw:
            with ca_context(datadir).wrap_socket(raw, server_hostname=HOSTNAME) as tls:
                return tls.getpeercert()["serialNumber"]

    before = serial()
    old_session = poplib.POP3_SSL("127.0.0.1", pop3_server.pop3s_port, context=ca_context(datadir), timeout=30)
    run_cli("cert", "issue", HOSTNAME, "localhost", "--ip", "127.0.0.1", "--ip", "::1", "--data", datadir.path)
    pop3_server.proc.send_signal(signal.SIGHUP)
    pop3_server.wait_for_line(r"TLS certificates reloaded", 10)
    after = serial()
    assert after != before
    old_session.user(ALICE)           # the open session goes on
    old_session.pass_(PASSWORD)
    old_session.quit()
    (datadir.path / "tls" / "server-chain.pem").write_text("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    pop3_server.proc.send_signal(signal.SIGHUP)
    pop3_server.wait_for_line(r"TLS certificate reload refused", 10)
    assert serial() == after


def test_mpop_with_the_ca_file(pop3_server, datadir, tmp_path):
    pop3_server.deliver([ALICE], b"Subject: m\r\n\r\nfor mpop\r\n")
    ca = datadir.path / "tls" / "ca.pem"
    out = tmp_path / "mbox"
    result = subprocess.run(
        ["mpop", "--host=127.0.0.1", f"--port={pop3_server.pop3_port}", "--tls=on", "--tls-starttls=on",
         f"--tls-trust-file={ca}", "--auth=user", f"--user={ALICE}",
         f"--passwordeval=echo '{PASSWORD}'", "--keep=on", f"--delivery=mbox,{out}", "--only-new=off"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "for mpop" in out.read_text()


def test_submissions_implicit_tls_and_submission_requires_starttls(pop3_server, datadir):
    # 465: TLS from the first byte (RFC 8314 §3.3), verified with the host name
    with smtplib.SMTP_SSL("127.0.0.1", pop3_server.submissions_port, timeout=30,
                          context=ca_context(datadir)) as client:
        client.ehlo("client.example")
        assert not client.has_extn("starttls")
        # RFC 6409 §4.3: submission takes mail from authenticated users only
        code, message = client.docmd("MAIL", "FROM:<bob@example.net>")
        assert code == 530 and message.startswith(b"5.7.0"), message
        client.login(ALICE, PASSWORD)
        client.sendmail(ALICE, [ALICE], b"Subject: 465\r\n\r\nimplicit\r\n")
    received = received_header(datadir.wait_new(ALICE)[0])
    assert " with ESMTPSA id " in received and "(using TLSv1." in received, received

    # 587: STARTTLS is required before mail (RFC 8314 §3.3)
    with smtplib.SMTP("127.0.0.1", pop3_server.submission_port, timeout=30) as client:
        client.ehlo("client.example")
        assert client.has_extn("starttls")
        code, message = client.docmd("MAIL", "FROM:<bob@example.net>")
        assert code == 530 and message.startswith(b"5.7.0"), message
        client.starttls(context=ca_context(datadir))
        client.ehlo("client.example")
        client.login(ALICE, PASSWORD)
        client.sendmail(ALICE, [ALICE], b"Subject: 587\r\n\r\nstarttls\r\n")
    assert len(datadir.wait_new(ALICE, count=2)) == 2


def _fetchmail_over_tls(server, datadir, tmp_path, implicit):
    port = server.pop3s_port if implicit else server.pop3_port
    # implicit: "ssl" (pop3s); otherwise fetchmail upgrades with STLS when sslproto is set.
    tls = "ssl" if implicit else "sslproto 'tls1.2+'"
    return run_fetchmail(
        tmp_path, port, f"keep fetchall {tls} sslcertck sslcertfile {datadir.path / 'tls' / 'ca.pem'}",
        ALICE, PASSWORD,
        # fetchmail matches DNS names only, so name the one to check
        extra=f"  sslcommonname {HOSTNAME}\n")


@pytest.mark.parametrize("implicit", [False, True], ids=["stls", "pop3s"])
def test_fetchmail_with_the_ca_file(pop3_server, datadir, tmp_path, implicit):
    pop3_server.deliver([ALICE], b"Subject: f\r\n\r\nfor fetchmail\r\n")
    rc, out, files = _fetchmail_over_tls(pop3_server, datadir, tmp_path, implicit)
    assert rc == 0, out
    assert len(files) == 1 and b"for fetchmail" in files[0], out
    if not implicit:
        assert "STLS" in out, out
    assert re.search(r"TLSv1\.[23]", out), out
    # with another CA file the server is not trusted
    other = tmp_path / "other-ca.pem"
    other.write_bytes((datadir.path / "tls" / "server.pem").read_bytes())   # not a CA
    for name in ("fmhome", "fm-out"):
        subprocess.run(["rm", "-rf", str(tmp_path / name)], check=True)
    (datadir.path / "tls" / "ca.pem").rename(tmp_path / "ca-saved.pem")
    try:
        (datadir.path / "tls" / "ca.pem").write_bytes(other.read_bytes())
        rc, out, files = _fetchmail_over_tls(pop3_server, datadir, tmp_path, implicit)
        assert rc != 0 and not files, out
        assert "certificate verif" in out, out
    finally:
        (tmp_path / "ca-saved.pem").replace(datadir.path / "tls" / "ca.pem")


def test_full_chain_no_compression_and_no_renegotiation(pop3_server, datadir):
    """The leaf and the CA are sent; no TLS compression (CRIME); a client's renegotiation
    request ends the connection instead of starting a new handshake."""
    proc = subprocess.Popen(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{pop3_server.pop3s_port}", "-tls1_2", "-crlf",
         "-showcerts", "-CAfile", str(datadir.path / "tls" / "ca.pem"), "-verify_return_error",
         "-verify_hostname", HOSTNAME],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    pop3_server.wait_for_line(r"pop3: TLS established", 30)
    proc.stdin.write("R\n")          # s_client: renegotiate
    proc.stdin.flush()
    time.sleep(1)
    try:
        proc.stdin.write("CAPA\n")
        proc.stdin.flush()
        proc.stdin.close()
    except BrokenPipeError:
        pass
    out, _ = proc.communicate(timeout=30)
    assert out.count("-----BEGIN CERTIFICATE-----") == 2, out
    assert "Verification: OK" in out and "Compression: NONE" in out, out
    assert "RENEGOTIATING" in out, out
    after = out.split("RENEGOTIATING", 1)[1]
    assert "+OK" not in after and "-ERR" not in after, out   # CAPA was never answered
