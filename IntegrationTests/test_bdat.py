"""BDAT transactions (RFC 3030): a message over the size limit is refused at the chunk that
passes it, and a transaction abandoned between chunks leaves nothing behind."""

import pytest

from conftest import assert_nothing_stored, check_stored, wait_tmp_empty

SENDER = "sender@example.net"


@pytest.mark.smtp_config(max_message_size=500000)
def test_chunk_over_the_size_limit_refused_before_last(client, datadir):
    """RFC 1870 §6, RFC 3030 §2: 552 5.3.4 right after the chunk that passes the limit; the
    chunk's octets are read and dropped, and the transaction is over."""
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.send(b"BDAT 600000\r\n" + (b"x" * 98 + b"\r\n") * 6000)
    r = client.read_reply()
    assert (r.code, r.enhanced) == (552, "5.3.4"), r
    # chunks still in the pipeline after the failed one are read and refused (RFC 3030 §2)
    client.send(b"BDAT 3 LAST\r\nabc")
    r = client.read_reply()
    assert (r.code, r.enhanced) == (503, "5.5.1"), r
    assert client.cmd("NOOP").code == 250
    wait_tmp_empty(datadir)
    assert_nothing_stored(datadir)
    # the session goes on
    small = b"Subject: small\r\n\r\nsmall\r\n"
    assert client.transaction(SENDER, ["alice@test.example"], small, ehlo=False).code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, small, rcpt="alice@test.example")


@pytest.mark.smtp_config(max_message_size=500000)
def test_later_chunk_over_the_size_limit_discards_earlier_chunks(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.send(b"BDAT 400000\r\n" + b"a" * 400000)
    assert client.read_reply().code == 250
    client.send(b"BDAT 100001\r\n" + b"b" * 100001)
    r = client.read_reply()
    assert (r.code, r.enhanced) == (552, "5.3.4"), r
    assert client.cmd("NOOP").code == 250
    wait_tmp_empty(datadir)
    assert_nothing_stored(datadir)


def test_transaction_abandoned_between_chunks_leaves_nothing_behind(client, datadir):
    """RFC 3030 §2: a command other than BDAT, RSET, NOOP or QUIT between chunks ends the
    transaction; its chunks must not reappear in the next message, nor its recipients."""
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.send(b"BDAT 9\r\nabandoned")
    assert client.read_reply().code == 250
    client.expect("MAIL FROM:<sender@example.net>", 503, "5.5.1")
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<bob@test.example>", 250)
    client.send(b"BDAT 5 LAST\r\nfresh")
    assert client.read_reply().code == 250
    [f] = datadir.wait_new("bob@test.example")
    check_stored(f, SENDER, b"fresh", rcpt="bob@test.example")
    wait_tmp_empty(datadir)
    assert datadir.new_files("alice@test.example") == []
