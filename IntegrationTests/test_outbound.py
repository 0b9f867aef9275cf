"""Outbound delivery against scripted peers: a fake DNS (dnslib) and aiosmtpd servers, plus a
raw hostile peer. Site A (alice@a.test) submits on 587; the message leaves through the
queue to the peer the DNS (or the smarthost setting) names. Retries, DSNs, expiry, delay
notices, SIGKILL during DATA, STARTTLS injection, DNS failures, the queue commands, and the
smarthost with AUTH over STARTTLS and implicit TLS."""

import os
import socket
import threading
import time

import pytest

from outbound_peers import (ALICE, A_HOST, DSN, WAIT, InjectionPeer, SMTPPeer, check_dsn_envelope, delivery_lines,  # noqa: F401
                            fake_dns, make_message, only_entry, peer_ca, peer_loop, queue_cli, sender_site,
                            serve_expecting_failure, server_tls_context, set_config, sites, strip_trace, submit,
                            wait_delivery, wait_dsns, wait_queue_empty, wait_until)

PEER_DOMAIN = "peer.test"
PEER_MX = "mx.peer.test"
BOB = "bob@peer.test"
CAROL = "carol@peer.test"


def start_with_peer(sites, fake_dns, peer_port, queue=None, delivery=None, tls=None):
    """DNS: peer.test MX 10 mx.peer.test, A 127.0.0.1; site A dialling PEER_PORT; started."""
    fake_dns.domain_to(PEER_DOMAIN, PEER_MX)
    a = sender_site(sites, fake_dns, smtp_port=peer_port, queue=queue, delivery=delivery, tls=tls)
    return a, sites.start(a)


def assert_same_message(received: bytes, sent: bytes):
    """What the peer got (CRLF, after the submission server's trace fields) is what was sent."""
    body = strip_trace(received.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    assert body == sent, f"relayed message differs:\n got: {body[:400]!r}\nwant: {sent[:400]!r}"


# --------------------------------------------------------------------------
# DNS forms


def test_mx_implicit_mx_cname_and_truncated_answers_all_reach_the_peer(sites, fake_dns, peer_loop):
    peer = SMTPPeer(peer_loop)
    fake_dns.domain_to("mx.test", "mail.mx.test")                  # MX
    fake_dns.a("implicit.test")                                    # no MX: the domain's A
    fake_dns.cname("alias.test", "mx.test")                        # the domain is a CNAME
    fake_dns.domain_to("big.test", "mail.big.test")
    fake_dns.truncate.add("big.test.")                             # MX only over TCP
    a = sender_site(sites, fake_dns, smtp_port=peer.port)
    server = sites.start(a)
    rcpts = ["u1@mx.test", "u2@implicit.test", "u3@alias.test", "u4@big.test"]
    msg = make_message("dns forms", to=", ".join(rcpts))
    submit(server, a, rcpts, msg)
    for r in rcpts:
        wait_delivery(server, "sent", r)
    got = sorted(r for m in peer.messages for r in m.rcpt_tos)
    assert got == sorted(rcpts)
    for m in peer.messages:
        assert m.mail_from == ALICE
        assert_same_message(m.content, msg)
    assert fake_dns.asked("big.test", "MX", "udp") and fake_dns.asked("big.test", "MX", "tcp"), fake_dns.queries
    assert fake_dns.asked("implicit.test", "MX") and fake_dns.asked("implicit.test", "A")
    relay = wait_delivery(server, "sent", "u1@mx.test")[0]["relay"]
    assert relay == f"mail.mx.test[127.0.0.1]:{peer.port}", relay
    wait_queue_empty(a)


def test_route_to_an_address_literal_skips_dns(sites, fake_dns, peer_loop):
    """[delivery.routes] "routed.test" = "[127.0.0.1]:PORT": no MX or A lookup for it."""
    peer = SMTPPeer(peer_loop)
    a = sender_site(sites, fake_dns, smtp_port=free_port_nobody())
    set_config(a, "delivery.routes", **{'"routed.test"': f"[127.0.0.1]:{peer.port}"})
    server = sites.start(a)
    rcpt = "x@routed.test"
    msg = make_message("routed", to=rcpt)
    submit(server, a, rcpt, msg)
    [m] = peer.wait_messages(1)
    assert_same_message(m.content, msg)
    sent = wait_delivery(server, "sent", rcpt)[0]
    assert sent["relay"].endswith(f"[127.0.0.1]:{peer.port}"), sent
    assert fake_dns.asked("routed.test") == [], fake_dns.queries
    wait_queue_empty(a)


@pytest.mark.parametrize("case,status", [("null-mx", "5.1.10"), ("nxdomain", "5.1.2")])
def test_null_mx_and_nxdomain_bounce_at_once(sites, fake_dns, case, status):
    rcpt = f"someone@{case}.test"
    if case == "null-mx":
        fake_dns.null_mx(f"{case}.test")
    a = sender_site(sites, fake_dns, smtp_port=free_port_nobody())
    server = sites.start(a)
    submit(server, a, rcpt, make_message(case, to=rcpt))
    line = wait_delivery(server, "bounced", rcpt)[0]
    assert line["dsn"] == status, line
    dsn = DSN(wait_until(lambda: a.new_files(ALICE), WAIT, "a DSN")[0])   # how many: see below
    check_dsn_envelope(dsn)
    r = dsn.recipient(rcpt)
    assert r["Action"] == "failed" and r["Status"] == status, str(r)
    wait_queue_empty(a)


def test_one_failure_report_per_bounced_message(sites, fake_dns):
    """Six messages to a domain that does not exist: six bounces, each reported once (two
    sweeps at once used to send two reports for most of them; fixed in c9d0fa4)."""
    a = sender_site(sites, fake_dns, smtp_port=free_port_nobody())
    server = sites.start(a)
    rcpts = [f"someone{i}@nxdomain{i}.test" for i in range(6)]
    for rcpt in rcpts:
        submit(server, a, rcpt, make_message(f"bounce {rcpt}", to=rcpt))
    for rcpt in rcpts:
        wait_delivery(server, "bounced", rcpt)
    wait_queue_empty(a)
    time.sleep(2)
    reports = [l for l in server.log().splitlines() if "delivery: report sent" in l]
    dsns = [DSN(p) for p in a.new_files(ALICE)]
    assert sorted(d.final_recipients[0] for d in dsns) == sorted(rcpts), "\n".join(reports)
    assert len(reports) == len(rcpts), "\n".join(reports)


def test_servfail_is_deferred_not_bounced(sites, fake_dns):
    rcpt = "someone@broken.test"
    fake_dns.servfail.add("broken.test.")
    a = sender_site(sites, fake_dns, smtp_port=free_port_nobody())
    server = sites.start(a)
    submit(server, a, rcpt, make_message("servfail", to=rcpt))
    line = wait_delivery(server, "deferred", rcpt)[0]
    assert line["dsn"].startswith("4."), line
    time.sleep(1.5)
    [entry] = a.queue_list()
    [r] = entry["recipients"]
    assert r["status"] == "pending" and r["attempts"] >= 1, r
    assert delivery_lines(server, "bounced") == [] and a.new_files(ALICE) == []


def free_port_nobody():
    """A port for smtp_port where nothing listens (the test never gets that far)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# retries


def test_destination_down_is_retried_until_it_comes_up(sites, fake_dns, peer_loop):
    port = free_port_nobody()
    a, server = start_with_peer(sites, fake_dns, port)
    msg = make_message("down then up", to=BOB)
    submit(server, a, BOB, msg)
    first = wait_delivery(server, "deferred", BOB)[0]
    assert first["relay"] in ("none", f"{PEER_MX}[127.0.0.1]:{port}"), first
    wait_delivery(server, "deferred", BOB, count=2)  # retried while down (first_retry = 1 s)
    peer = SMTPPeer(peer_loop, port=port)
    [m] = peer.wait_messages(1)
    assert m.rcpt_tos == [BOB]
    assert_same_message(m.content, msg)
    sent = wait_delivery(server, "sent", BOB)[0]
    assert sent["relay"] == f"{PEER_MX}[127.0.0.1]:{port}" and sent["dsn"].startswith("2."), sent
    # deferred lines come before the sent one
    statuses = [dict(l.fields)["status"] for l in delivery_lines(server, to=BOB)]
    assert statuses[-1] == b"sent" and set(statuses[:-1]) == {b"deferred"}, statuses
    wait_queue_empty(a)


def test_450_is_retried_and_accepted_later(sites, fake_dns, peer_loop):
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.0 mailbox busy, try later" if attempt == 1 else None)
    a, server = start_with_peer(sites, fake_dns, peer.port)
    msg = make_message("450 then 250", to=BOB)
    submit(server, a, BOB, msg)
    deferred = wait_delivery(server, "deferred", BOB)[0]
    assert deferred["dsn"] == "4.2.0" and "450" in deferred["reply"] and "mailbox busy" in deferred["reply"], deferred
    sent = wait_delivery(server, "sent", BOB)[0]
    assert sent["dsn"].startswith("2."), sent
    [m] = peer.wait_messages(1)
    assert_same_message(m.content, msg)
    assert peer.rcpt_attempts[BOB] == 2
    wait_queue_empty(a)
    assert a.new_files(ALICE) == [], "a DSN for a message that was delivered"


def test_550_for_one_recipient_gives_one_dsn_and_the_other_is_delivered(sites, fake_dns, peer_loop):
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt:
                    "550 5.1.1 <carol@peer.test>: no such user here" if address == CAROL else None)
    a, server = start_with_peer(sites, fake_dns, peer.port)
    msg = make_message("550 for carol", to=f"{BOB}, {CAROL}")
    submit(server, a, [BOB, CAROL], msg)
    bounced = wait_delivery(server, "bounced", CAROL)[0]
    assert bounced["dsn"] == "5.1.1" and bounced["reply"].startswith("550 5.1.1"), bounced
    wait_delivery(server, "sent", BOB)
    [m] = peer.wait_messages(1)
    assert m.rcpt_tos == [BOB]
    [dsn] = wait_dsns(a, ALICE)
    check_dsn_envelope(dsn)
    assert dsn.final_recipients == [CAROL], dsn.final_recipients   # bob was delivered: not listed
    r = dsn.recipient(CAROL)
    assert r["Action"] == "failed", str(r)
    assert r["Status"] == "5.1.1", str(r)
    assert str(r["Diagnostic-Code"]).lower().startswith("smtp;"), str(r)
    diag = str(r["Diagnostic-Code"]).split(";", 1)[1].strip()
    assert diag.startswith("550 5.1.1") and "no such user here" in diag, diag
    assert str(r["Remote-MTA"]).lower().startswith("dns;") and PEER_MX in str(r["Remote-MTA"]).lower(), str(r)
    assert "Subject: 550 for carol" in dsn.raw.decode("utf-8", "replace")  # the original (or its header)
    assert dsn.msg["Subject"], dsn.msg
    wait_queue_empty(a)
    time.sleep(3)   # later rounds (first_retry = 1 s) send no second DSN and nothing more
    assert len(a.new_files(ALICE)) == 1
    assert peer.rcpt_attempts == {BOB: 1, CAROL: 1}, peer.rcpt_attempts
    assert len(peer.messages) == 1


# --------------------------------------------------------------------------
# expiry and delay notices


def test_expiry_bounces_after_max_lifetime(sites, fake_dns, peer_loop):
    """max_lifetime = 3 s (delay_warning must be less: 2 s, so a delay notice may come first)."""
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.1 always later")
    a, server = start_with_peer(sites, fake_dns, peer.port, queue={"max_lifetime": 3, "delay_warning": 2})
    submit(server, a, BOB, make_message("expires", to=BOB))
    wait_delivery(server, "deferred", BOB)
    wait_queue_empty(a, timeout=WAIT)
    time.sleep(2)   # nothing more after the bounce
    dsns = [DSN(p) for p in a.new_files(ALICE)]
    actions = [d.recipient(BOB)["Action"] for d in dsns]
    assert actions in (["failed"], ["delayed", "failed"]), actions
    failed = dsns[-1]
    check_dsn_envelope(failed)
    r = failed.recipient(BOB)
    assert r["Status"] in ("4.4.7", "4.2.1"), str(r)   # expired (RFC 3463), or the last reply's code
    assert peer.messages == []
    assert len(a.new_files(ALICE)) == len(dsns)


def test_expiry_bounce_names_the_last_reply(sites, fake_dns, peer_loop):
    """Like Postfix's "delivery temporarily suspended: ... said: 450 ...": the bounce for an
    expired message says what the receiving server last answered, and who it was."""
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.1 always later")
    a, server = start_with_peer(sites, fake_dns, peer.port, queue={"max_lifetime": 3, "delay_warning": 2})
    submit(server, a, BOB, make_message("expires", to=BOB))
    wait_queue_empty(a, timeout=WAIT)
    r = DSN(a.new_files(ALICE)[-1]).recipient(BOB)
    assert r["Action"] == "failed", str(r)
    assert "450 4.2.1 always later" in str(r.get("Diagnostic-Code", "")), str(r)
    assert PEER_MX in str(r.get("Remote-MTA", "")).lower(), str(r)


def test_delay_notice_is_sent_once(sites, fake_dns, peer_loop):
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.1 always later")
    a, server = start_with_peer(sites, fake_dns, peer.port, queue={"delay_warning": 1, "max_lifetime": 30})
    submit(server, a, BOB, make_message("delayed", to=BOB))
    [dsn] = wait_dsns(a, ALICE, timeout=WAIT)
    check_dsn_envelope(dsn)
    r = dsn.recipient(BOB)
    assert r["Action"] == "delayed", str(r)
    assert r["Status"].startswith("4."), str(r)
    assert "Will-Retry-Until" in r, str(r)
    time.sleep(4)   # several more rounds (retries every 1-2 s): still one notice
    assert len(a.new_files(ALICE)) == 1
    [entry] = a.queue_list()
    assert entry["recipients"][0]["status"] == "pending" and entry["recipients"][0]["delay_notice_sent"]


# --------------------------------------------------------------------------
# crash during a delivery


def test_sigkill_while_waiting_for_the_data_reply_loses_nothing(sites, fake_dns, peer_loop):
    stalled, release = threading.Event(), threading.Event()

    def data(attempt):
        if attempt == 1:        # hold the final reply; the sender is killed meanwhile
            stalled.set()
            release.wait(15)
            return "451 4.3.0 too late"
        return None
    peer = SMTPPeer(peer_loop, data=data)
    try:
        # first_retry 300 s: after the restart only `queue flush` makes it go now
        a, server = start_with_peer(sites, fake_dns, peer.port, queue={"first_retry": 300, "max_retry_interval": 600})
        msg = make_message("sigkill in data", to=BOB)
        submit(server, a, BOB, msg)
        assert stalled.wait(WAIT), f"no DATA at the peer\n{server.log()}"
        server.kill()
        [entry] = a.queue_list()
        assert [r["address"] for r in entry["recipients"]] == [BOB]
        assert a.queued_file(entry).is_file()
        server2 = sites.start(a)
        queue_cli(a, "flush")
        [m] = peer.wait_messages(1)
        assert m.rcpt_tos == [BOB]
        assert_same_message(m.content, msg)
        wait_delivery(server2, "sent", BOB)
        wait_queue_empty(a)
        assert a.new_files(ALICE) == []
    finally:
        release.set()


# --------------------------------------------------------------------------
# STARTTLS response injection


def test_starttls_response_injection_aborts_the_connection(sites, fake_dns, peer_loop):
    peer = InjectionPeer(peer_loop)
    a, server = start_with_peer(sites, fake_dns, peer.port)
    submit(server, a, BOB, make_message("injection", to=BOB))
    line = wait_delivery(server, "deferred", BOB)[0]
    with peer.cond:
        injected = [c for c in peer.connections if c["injected"]]
    assert injected, peer.connections
    first = injected[0]
    wait_until(lambda: first["closed"], 10, "the injected connection to be closed")
    # Nothing after the 220: no TLS handshake on top of the injected reply, no plaintext command.
    assert first["after"] == b"", f"the client went on after the injected reply: {first['after'][:80]!r}"
    # A plaintext retry on a new connection is the "may" policy's business; the peer refuses
    # MAIL there, so the message cannot have been delivered by it either.
    print("connections:", peer.connections)
    assert line["dsn"].startswith("4."), line
    assert "STARTTLS" in line["reply"] and "injection" in line["reply"], line   # the log says why
    assert len(peer.connections) == 1 or all(c["injected"] for c in peer.connections), peer.connections
    [entry] = a.queue_list()
    assert entry["recipients"][0]["status"] == "pending", entry
    assert delivery_lines(server, "sent") == []


# --------------------------------------------------------------------------
# queue commands while the server runs


def test_queue_bounce_sends_a_dsn_to_the_sender(sites, fake_dns, peer_loop):
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.1 always later")
    a, server = start_with_peer(sites, fake_dns, peer.port, queue={"first_retry": 300, "max_retry_interval": 600})
    submit(server, a, BOB, make_message("bounce me", to=BOB))
    wait_delivery(server, "deferred", BOB)
    entry = only_entry(a)
    queue_cli(a, "bounce", entry["id"])
    [dsn] = wait_dsns(a, ALICE)
    check_dsn_envelope(dsn)
    assert dsn.recipient(BOB)["Action"] == "failed", str(dsn.recipient(BOB))
    wait_queue_empty(a)
    assert peer.messages == []


@pytest.mark.parametrize("with_id", [False, True])
def test_queue_flush_makes_an_attempt_now(sites, fake_dns, peer_loop, with_id):
    peer = SMTPPeer(peer_loop, rcpt=lambda address, attempt: "450 4.2.0 first try refused" if attempt == 1 else None)
    a, server = start_with_peer(sites, fake_dns, peer.port, queue={"first_retry": 300, "max_retry_interval": 600})
    msg = make_message("flush", to=BOB)
    submit(server, a, BOB, msg)
    wait_delivery(server, "deferred", BOB)
    time.sleep(1.5)
    assert peer.rcpt_attempts[BOB] == 1 and peer.messages == []   # the next try is 5 minutes away
    queue_cli(a, "flush", *([only_entry(a)["id"]] if with_id else []))
    [m] = peer.wait_messages(1, timeout=10)
    assert_same_message(m.content, msg)
    wait_delivery(server, "sent", BOB)
    wait_queue_empty(a)


# --------------------------------------------------------------------------
# smarthost (OP25B): relay_host with AUTH and TLS


RELAY_USER, RELAY_PASSWORD = "alice-at-isp", "s3cret relay pass"


def smarthost_site(sites, fake_dns, peer_ca, port, password=RELAY_PASSWORD, mode=0o600, host="relay.test"):
    fake_dns.a("relay.test")
    a = sender_site(sites, fake_dns, delivery={"relay_host": f"{host}:{port}", "relay_username": RELAY_USER,
                                               "relay_password_file": "relay-password"},
                    tls={"ca_file": str(peer_ca["ca"])})
    pw = a.path / "relay-password"
    pw.write_text(password + "\n")
    os.chmod(pw, mode)
    return a


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smarthost_starttls_and_auth(sites, fake_dns, peer_loop, peer_ca, mechanism):
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    peer = SMTPPeer(peer_loop, tls=server_tls_context(peer_ca), credentials={RELAY_USER: RELAY_PASSWORD},
                    auth_exclude=[other], hostname="relay.test")
    a = smarthost_site(sites, fake_dns, peer_ca, peer.port)
    server = sites.start(a)
    rcpt = "far@faraway.test"           # no DNS for it: everything goes to the smarthost
    msg = make_message(f"via smarthost {mechanism}", to=rcpt)
    submit(server, a, rcpt, msg)
    [m] = peer.wait_messages(1)
    assert m.tls and m.login == RELAY_USER and m.rcpt_tos == [rcpt] and m.mail_from == ALICE
    assert peer.auth_attempts == [(mechanism, RELAY_USER, RELAY_PASSWORD, True)], peer.auth_attempts
    assert_same_message(m.content, msg)
    sent = wait_delivery(server, "sent", rcpt)[0]
    assert sent["relay"] == f"relay.test[127.0.0.1]:{peer.port}" and sent["tls"].startswith("TLSv1."), sent
    assert not fake_dns.asked("faraway.test"), fake_dns.queries
    wait_queue_empty(a)


def test_smarthost_implicit_tls_on_465(sites, fake_dns, peer_loop, peer_ca):
    try:
        peer = SMTPPeer(peer_loop, port=465, tls=server_tls_context(peer_ca), implicit_tls=True,
                        credentials={RELAY_USER: RELAY_PASSWORD}, hostname="relay.test")
    except OSError as error:
        pytest.skip(f"port 465 on 127.0.0.1 is not free or not bindable: {error}")
    a = smarthost_site(sites, fake_dns, peer_ca, 465)
    server = sites.start(a)
    rcpt = "far@faraway.test"
    msg = make_message("via smarthost 465", to=rcpt)
    submit(server, a, rcpt, msg)
    [m] = peer.wait_messages(1)
    assert m.tls and m.login == RELAY_USER
    assert_same_message(m.content, msg)
    sent = wait_delivery(server, "sent", rcpt)[0]
    assert sent["relay"] == "relay.test[127.0.0.1]:465" and sent["tls"].startswith("TLSv1."), sent
    wait_queue_empty(a)


def test_smarthost_wrong_password_is_deferred_and_logged(sites, fake_dns, peer_loop, peer_ca):
    peer = SMTPPeer(peer_loop, tls=server_tls_context(peer_ca), credentials={RELAY_USER: RELAY_PASSWORD},
                    hostname="relay.test")
    a = smarthost_site(sites, fake_dns, peer_ca, peer.port, password="not the password")
    server = sites.start(a)
    rcpt = "far@faraway.test"
    submit(server, a, rcpt, make_message("wrong password", to=rcpt))
    line = wait_delivery(server, "deferred", rcpt)[0]
    assert "535" in line["reply"], line      # the smarthost's refusal of the login, as it said it
    assert peer.auth_attempts and not any(ok for *_, ok in peer.auth_attempts), peer.auth_attempts
    assert peer.messages == []
    [entry] = a.queue_list()
    assert entry["recipients"][0]["status"] == "pending"
    assert a.new_files(ALICE) == [], "a bounce for a login failure at the smarthost"


def test_smarthost_password_file_readable_by_others_stops_the_start(sites, fake_dns, peer_ca):
    a = smarthost_site(sites, fake_dns, peer_ca, 2525, mode=0o644)
    code, output = serve_expecting_failure(a)
    assert code != 0, output
    assert "relay-password" in output and "password file" in output, output
    assert "chmod 600" in output or "0600" in output or "readable by others" in output, output
