"""Pipelining synchronisation: a client may pipeline up to DATA, but the content must wait
for the 354 (RFC 2920 §3.1, RFC 5321 §3.3).  Content that arrived before the 354 would be
sent is refused with 554 5.5.0 and the connection closed, as Postfix's
smtpd_forbid_unauth_pipelining does.  BDAT chunks may be pipelined (RFC 3030 §2)."""

from conftest import assert_nothing_stored, check_stored

SENDER = "sender@example.net"
MESSAGE = b"Subject: pipelined\r\n\r\nbody line\r\n"


def test_content_before_354_is_refused_and_closes(server, client, datadir):
    client.ehlo()
    client.send(b"MAIL FROM:<sender@example.net>\r\n"
                b"RCPT TO:<alice@test.example>\r\n"
                b"DATA\r\n" + MESSAGE + b".\r\n")
    replies = client.read_until_closed()
    assert [(r.code, r.enhanced) for r in replies] == [(250, "2.1.0"), (250, "2.1.5"), (554, "5.5.0")], replies
    assert "synchronization" in replies[-1].text, replies[-1]
    server.wait_for_line(r"synchronization error.*data sent before the 354 reply", 10)
    assert_nothing_stored(datadir)      # neither new/ nor tmp/


def test_content_after_a_blind_data_is_refused(server, client, datadir):
    """DATA alone, its content in the same write: the same error."""
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.send(b"DATA\r\n" + MESSAGE + b".\r\nQUIT\r\n")
    replies = client.read_until_closed()
    assert [(r.code, r.enhanced) for r in replies] == [(554, "5.5.0")], replies
    assert_nothing_stored(datadir)


def test_commands_pipelined_up_to_data_then_content_delivers(client, datadir):
    client.ehlo()
    client.send(b"MAIL FROM:<sender@example.net>\r\n"
                b"RCPT TO:<alice@test.example>\r\n"
                b"DATA\r\n")
    assert [r.code for r in client.read_replies(3)] == [250, 250, 354]
    client.send(MESSAGE + b".\r\n")
    assert client.read_reply().code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, MESSAGE, "ESMTP", rcpt="alice@test.example")


def test_pipelined_bdat_chunks_deliver(client, datadir):
    client.ehlo()
    client.send(b"MAIL FROM:<sender@example.net>\r\n"
                b"RCPT TO:<alice@test.example>\r\n"
                b"BDAT 10\r\n0123456789BDAT 3 LAST\r\nabc")
    replies = client.read_replies(4)
    assert [r.code for r in replies] == [250, 250, 250, 250], replies
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, b"0123456789abc", "ESMTP", rcpt="alice@test.example")
    assert client.cmd("NOOP").code == 250
