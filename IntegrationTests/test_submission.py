"""Submission with SMTP AUTH (RFC 6409, RFC 4954, RFC 8314) with real clients: swaks and
msmtp on 587 (STARTTLS) and 465 (implicit TLS), Python smtplib, SCRAM-SHA-256 from the
independent `scramp` implementation; what a login may send, and where it goes."""

import base64
import json
import re
import smtplib
import ssl
import subprocess

import pytest

from conftest import (CLIENT_HELO, HOSTNAME, PASSWORD, Server, apply_config_markers, check_name, run_cli, split_stored,
                      wait_tmp_empty)

ALICE = "alice@test.example"
BOB = "bob@test.example"
REMOTE = "far@remote.example"


@pytest.fixture
def submission_server(request, datadir):
    """smtp, submission (587, STARTTLS required) and submissions (465); failed logins are not
    delayed unless the test's auth_config says so."""
    apply_config_markers(request, datadir, pop3=True)
    srv = Server(datadir).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")
    assert rc == 0, f"server exit code {rc}\n{srv.log()}"


def ca_file(datadir):
    return str(datadir.path / "tls" / "ca.pem")


def tls_context(datadir):
    return ssl.create_default_context(cafile=ca_file(datadir))


def submit_587(server, datadir):
    """An smtplib session on 587 after STARTTLS and EHLO."""
    client = smtplib.SMTP("127.0.0.1", server.submission_port, timeout=30, local_hostname=CLIENT_HELO)
    client.starttls(context=tls_context(datadir))
    client.ehlo(CLIENT_HELO)
    return client


def submit_465(server, datadir, source=None):
    client = smtplib.SMTP_SSL("127.0.0.1", server.submissions_port, timeout=30, local_hostname=CLIENT_HELO,
                              context=tls_context(datadir),
                              source_address=(source, 0) if source else None)
    client.ehlo(CLIENT_HELO)
    return client


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def plain(user=ALICE, password=PASSWORD):
    return b64(f"\0{user}\0{password}".encode())


def message(subject, sender=ALICE, to=BOB, extra=b""):
    return (f"From: Alice <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n".encode() + extra
            + b"\r\nHello from submission.\r\n.leading dot\r\n")


# --------------------------------------------------------------------------
# real clients


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("port", ["587", "465"])
def test_swaks_auth(submission_server, datadir, mechanism, port):
    tls = ["--tls"] if port == "587" else ["--tls-on-connect"]
    number = submission_server.submission_port if port == "587" else submission_server.submissions_port
    token = f"swaks-{mechanism}-{port}"
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(number), *tls,
                        "--auth", mechanism, "--auth-user", ALICE, "--auth-password", PASSWORD,
                        "--from", ALICE, "--to", BOB, "--helo", CLIENT_HELO,
                        "--header", f"Subject: {token}", "--body", token, "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "235 2.7.0 Authentication successful" in p.stdout, p.stdout
    [stored] = datadir.wait_new(BOB)
    text = stored.read_text()
    assert token in text
    assert re.search(r"\tby mx\.test\.example \(Tsubame\) with ESMTPSA id ", text), text[:500]


@pytest.mark.parametrize("mechanism", ["plain", "login", "scram-sha-256"])
def test_msmtp_auth(submission_server, datadir, mechanism):
    token = f"msmtp-{mechanism}"
    p = subprocess.run(["msmtp", "--host=127.0.0.1", f"--port={submission_server.submission_port}",
                        "--tls=on", "--tls-starttls=on", f"--tls-trust-file={ca_file(datadir)}",
                        f"--auth={mechanism}", f"--user={ALICE}", f"--passwordeval=echo '{PASSWORD}'",
                        f"--from={ALICE}", f"--domain={CLIENT_HELO}", BOB],
                       input=f"From: {ALICE}\nTo: {BOB}\nSubject: {token}\n\n{token}\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    [stored] = datadir.wait_new(BOB)
    assert token in stored.read_text()
    submission_server.wait_for_line(
        rf"login .*sasl_method={mechanism.upper()} sasl_username={re.escape(ALICE)}", 10)


def test_smtplib_starttls_login_byte_exact(submission_server, datadir):
    """A complete message (Message-ID and Date present) is stored as sent, behind the trace
    fields only: nothing is added (RFC 6409 §8)."""
    msg = message("byte exact", extra=b"Date: Sun, 29 Nov 2026 19:30:00 +0000\r\nMessage-ID: <exact@test.example>\r\n")
    with submit_587(submission_server, datadir) as client:
        client.login(ALICE, PASSWORD)
        client.sendmail(ALICE, [BOB], msg)
    [stored] = datadir.wait_new(BOB)
    trace, body = split_stored(stored.read_bytes())
    assert body == msg.replace(b"\r\n", b"\n")
    assert trace.startswith(f"Return-Path: <{ALICE}>\nReceived: from {CLIENT_HELO} ([127.0.0.1])\n".encode()), trace
    assert b"\n\t(using TLSv1." in trace and f"with ESMTPSA id ".encode() in trace and f"for <{BOB}>;".encode() in trace
    check_name(stored)
    # The maillog line names the login, as Postfix's sasl_username= does.
    accepted = submission_server.wait_for_line(r"smtp: accepted .*", 10).group(0)
    assert f"sasl_username={ALICE}" in accepted and "proto=ESMTPSA" in accepted, accepted


def _scram_login(client, user, password):
    """SCRAM-SHA-256 over an smtplib connection with scramp's client; returns the final reply."""
    from scramp import ScramClient
    scram = ScramClient(["SCRAM-SHA-256"], user, password)
    code, text = client.docmd("AUTH", "SCRAM-SHA-256 " + b64(scram.get_client_first().encode()))
    assert code == 334, (code, text)
    scram.set_server_first(base64.b64decode(text).decode())
    code, text = client.docmd(b64(scram.get_client_final().encode()))
    if code != 334:
        return code, text
    scram.set_server_final(base64.b64decode(text).decode())  # checks the server's signature
    return client.docmd("")


def test_scram_with_scramp_right_and_wrong_proof(submission_server, datadir):
    with submit_465(submission_server, datadir) as client:
        assert "SCRAM-SHA-256" in client.esmtp_features["auth"].split()
        code, text = _scram_login(client, ALICE, PASSWORD)
        assert (code, text) == (235, b"2.7.0 Authentication successful")
        client.sendmail(ALICE, [BOB], message("scram"))
    assert datadir.wait_new(BOB)
    with submit_465(submission_server, datadir) as client:
        code, text = _scram_login(client, ALICE, "wrong password")
        assert (code, text) == (535, b"5.7.8 Authentication credentials invalid")
        code, _ = client.docmd("MAIL", f"FROM:<{ALICE}>")
        assert code == 530
    submission_server.wait_for_line(r"authentication failed .*sasl_method=SCRAM-SHA-256 "
                                    rf"sasl_username={re.escape(ALICE)}", 10)


# --------------------------------------------------------------------------
# where mail goes


def test_remote_recipient_is_queued_durably(datadir, start_server):
    """Authenticated users may address any domain (RFC 6409): the remote recipient is in the
    queue (file and rows) before the 250, and still there after SIGKILL and a restart."""
    datadir.suspend_delivery()
    server = start_server()
    with submit_587(server, datadir) as client:
        client.login(ALICE, PASSWORD)
        refused = client.sendmail(ALICE, [REMOTE], message("to remote", to=REMOTE))
        assert refused == {}
        [entry] = datadir.queue_list()  # right after the 250, before QUIT
    assert entry["sender"] == ALICE and entry["account"] == ALICE and not entry["held"]
    assert [(r["address"], r["domain"], r["status"], r["attempts"]) for r in entry["recipients"]] == \
        [(REMOTE, REMOTE.rsplit("@", 1)[1], "pending", 0)]
    stored = datadir.queued_file(entry).read_bytes()
    assert b"Subject: to remote\n" in stored and b" with ESMTPSA id " in stored
    assert entry["size"] == len(stored)
    server.kill()
    start_server()
    assert datadir.queue_list() == [entry]
    assert datadir.queued_file(entry).read_bytes() == stored
    wait_tmp_empty(datadir)


def start_with_remote_down(datadir, start_server):
    """The server, with remote.example routed to a closed port: its messages are deferred and
    stay in the queue, whatever DNS says about remote.example."""
    datadir.set_table("delivery.routes", **{'"remote.example"': "[127.0.0.1]:1"})
    return start_server()


def test_dsn_parameters_kept_in_the_queue(datadir, start_server):
    """RFC 3461: submission offers DSN; RET and ENVID of MAIL and NOTIFY and ORCPT of each RCPT
    reach the queue as received (NOTIFY in its canonical order); a recipient without them has
    none; a malformed value is refused with 501 5.5.4 naming the parameter."""
    other = "other@remote.example"
    server = start_with_remote_down(datadir, start_server)
    with submit_587(server, datadir) as client:
        assert client.has_extn("dsn")
        client.login(ALICE, PASSWORD)
        code, text = client.mail(ALICE, ["RET=FULL", "RET=HDRS"])
        assert (code, text[:5]) == (501, b"5.5.4") and b"RET" in text
        code, _ = client.mail(ALICE)
        assert code == 250
        for bad in ["NOTIFY=NEVER,SUCCESS", "ORCPT=bob@example.net", "ORCPT=rfc822;bob+4"]:
            code, text = client.rcpt(REMOTE, [bad])
            assert (code, text[:5]) == (501, b"5.5.4") and bad.split("=")[0].encode() in text, (bad, text)
        client.rset()
        refused = client.sendmail(ALICE, [REMOTE, other], message("dsn", to=REMOTE),
                                  mail_options=["RET=HDRS", "ENVID=abc+2Bdef"])
        assert refused == {}
        [mail_only] = datadir.queue_list()
        # smtplib gives every RCPT the same options: one recipient with them, one without.
        code, _ = client.mail(ALICE, ["RET=HDRS", "ENVID=abc+2Bdef"])
        assert code == 250
        assert client.rcpt(REMOTE, ["NOTIFY=FAILURE,SUCCESS", "ORCPT=rfc822;bob+40example.net"])[0] == 250
        assert client.rcpt(other)[0] == 250
        code, _ = client.data(message("dsn", to=REMOTE))
        assert code == 250
    entries = datadir.queue_list()
    [entry] = [e for e in entries if e["id"] != mail_only["id"]]
    shown = json.loads(run_cli("queue", "show", entry["id"], "--json", "--data", datadir.path).stdout)
    assert (shown["envid"], shown["ret"]) == ("abc+2Bdef", "HDRS")
    assert [(r["address"], r["notify"], r["orcpt"]) for r in shown["recipients"]] == [
        (REMOTE, "SUCCESS,FAILURE", "rfc822;bob+40example.net"), (other, None, None)]
    assert [(r["notify"], r["orcpt"]) for r in mail_only["recipients"]] == [(None, None), (None, None)]
    assert (mail_only["envid"], mail_only["ret"]) == ("abc+2Bdef", "HDRS")


def test_dsn_options_with_sendmail(datadir, start_server):
    """smtplib's sendmail gives every RCPT the same options; on 465 too."""
    server = start_with_remote_down(datadir, start_server)
    with submit_465(server, datadir) as client:
        assert client.has_extn("dsn")
        client.login(ALICE, PASSWORD)
        refused = client.sendmail(ALICE, [REMOTE], message("dsn", to=REMOTE),
                                  mail_options=["RET=HDRS", "ENVID=abc+2Bdef"],
                                  rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob+40example.net"])
        assert refused == {}
        [entry] = datadir.queue_list()
    shown = json.loads(run_cli("queue", "show", entry["id"], "--json", "--data", datadir.path).stdout)
    assert (shown["envid"], shown["ret"]) == ("abc+2Bdef", "HDRS")
    assert [(r["address"], r["notify"], r["orcpt"]) for r in shown["recipients"]] == [
        (REMOTE, "SUCCESS,FAILURE", "rfc822;bob+40example.net")]


def test_message_id_and_date_added_only_when_missing(submission_server, datadir):
    with submit_465(submission_server, datadir) as client:
        client.login(ALICE, PASSWORD)
        client.sendmail(ALICE, [BOB], message("bare"))
        client.sendmail(ALICE, [BOB], message("complete", extra=b"Message-Id: <mine@test.example>\r\n"
                                                          b"DATE: Sun, 29 Nov 2026 19:30:00 +0000\r\n"))
        client.sendmail(ALICE, [BOB], message("date only", extra=b"Date: Sun, 29 Nov 2026 19:30:00 +0000\r\n"))
    files = datadir.wait_new(BOB, 3)
    by_subject = {re.search(rb"Subject: ([^\n]*)", f.read_bytes()).group(1): f.read_bytes() for f in files}
    bare = by_subject[b"bare"]
    header = bare.split(b"\n\n", 1)[0]
    assert re.search(rb"\nMessage-ID: <[A-Za-z0-9._-]+@" + re.escape(HOSTNAME.encode()) + rb">\nDate: [^\n]+\nFrom: ",
                     header), header
    assert header.count(b"Message-ID:") == 1 and header.count(b"\nDate:") == 1
    complete = by_subject[b"complete"].split(b"\n\n", 1)[0]
    assert b"Message-ID:" not in complete and complete.count(b"Message-Id:") == 1
    assert b"\nDate:" not in complete and complete.count(b"DATE:") == 1
    date_only = by_subject[b"date only"].split(b"\n\n", 1)[0]
    assert date_only.count(b"Message-ID:") == 1 and date_only.count(b"\nDate:") == 1


def test_mail_from_null_and_own_addresses_are_allowed(submission_server, datadir):
    """Its own address, a plus address, an alias that delivers to it; and <> (RFC 6409 §4.1
    leaves the null sender to the MSA: receipts and bounces need it)."""
    with submit_587(submission_server, datadir) as client:
        client.login(ALICE, PASSWORD)
        for sender in ["", ALICE, "ALICE+tag@Test.Example", "info@test.example"]:
            client.sendmail(sender, [BOB], message(f"as {sender or 'null'}", sender=ALICE))
    assert len(datadir.wait_new(BOB, 4)) == 4


def test_send_as_grants_apply_while_the_server_runs(submission_server, datadir):
    """`tsubame user send-as add` lets an account use another address (or a whole domain) in
    MAIL FROM and the header From, at once; `remove` takes it back."""
    def send(sender):
        with submit_465(submission_server, datadir) as client:
            client.login(ALICE, PASSWORD)
            try:
                client.sendmail(sender, [BOB], message(f"as {sender}", sender=sender))
                return 250
            except smtplib.SMTPSenderRefused as refused:
                return refused.smtp_code

    assert send("news@partner.example") == 550
    run_cli("user", "send-as", "add", ALICE, "@partner.example", "--data", datadir.path)
    assert send("news@partner.example") == 250
    assert send("News@PARTNER.example") == 250
    run_cli("user", "send-as", "remove", ALICE, "@partner.example", "--data", datadir.path)
    assert send("news@partner.example") == 550
    assert len(datadir.wait_new(BOB, 2)) == 2
