"""SMTP smuggling: only CRLF.CRLF ends DATA; bare CR / bare LF are refused."""

import pytest

from conftest import assert_nothing_stored, check_stored, wait_tmp_empty

SMUGGLED = (b"MAIL FROM:<evil@x>\r\n"
            b"RCPT TO:<bob@test.example>\r\n"
            b"DATA\r\n"
            b"smuggled\r\n")

ENDINGS = {
    "LF.LF": b"\n.\n",
    "CR.CR": b"\r.\r",
    "CRLF.LF": b"\r\n.\n",
    "LF.CRLF": b"\n.\r\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
}


def _open_data(client):
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.expect("DATA", 354)


def _finish(client, datadir):
    """After the single reply to the message: NOOP and QUIT must be the only
    further replies (no 250 for a smuggled MAIL), nothing stored."""
    client.send(b"NOOP\r\nQUIT\r\n")
    rest = client.read_until_closed()
    assert [r.code for r in rest] == [250, 221], \
        f"replies after the rejected message: {rest}"
    wait_tmp_empty(datadir)
    assert_nothing_stored(datadir)


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_fake_end_of_data(client, datadir, ending):
    _open_data(client)
    client.send(b"Subject: smuggle\r\n\r\nfirst line" + ending + SMUGGLED + b".\r\n")
    r = client.read_reply()
    assert 500 <= r.code < 600, f"want one 5xx for the whole message, got {r}"
    _finish(client, datadir)


def test_dot_lf_at_start_of_data(client, datadir):
    _open_data(client)
    client.send(b".\n" + SMUGGLED + b".\r\n")
    r = client.read_reply()
    assert 500 <= r.code < 600, f"want one 5xx for the whole message, got {r}"
    _finish(client, datadir)


@pytest.mark.parametrize("bare", [b"\n", b"\r"], ids=["LF", "CR"])
def test_bare_char_in_body(client, datadir, bare):
    _open_data(client)
    client.send(b"Subject: bare\r\n\r\nbefore" + bare + b"after\r\n.\r\n")
    r = client.read_reply()
    assert 500 <= r.code < 600, r
    _finish(client, datadir)


@pytest.mark.parametrize("bare", [b"\n", b"\r"], ids=["LF", "CR"])
def test_bare_char_in_bdat(client, datadir, bare):
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    chunks = [b"Subject: bare\r\n\r\n", b"before" + bare + b"after\r\n", b"last\r\n"]
    client.send(b"BDAT %d\r\n" % len(chunks[0]) + chunks[0]
                + b"BDAT %d\r\n" % len(chunks[1]) + chunks[1]
                + b"BDAT %d LAST\r\n" % len(chunks[2]) + chunks[2])
    replies = client.read_replies(3)
    # the refusal may come at the offending chunk or at LAST; the final one is 5xx
    assert 500 <= replies[-1].code < 600, replies
    assert all(r.code == 250 or 500 <= r.code < 600 for r in replies), replies
    _finish(client, datadir)


def test_session_usable_after_rejection(client, datadir):
    _open_data(client)
    client.send(b"Subject: bad\r\n\r\nbare\nLF\r\n.\r\n")
    assert 500 <= client.read_reply().code < 600
    good = b"Subject: good\r\n\r\nfine\r\n"
    assert client.transaction("sender@example.net", ["bob@test.example"], good,
                              ehlo=False).code == 250
    [f] = datadir.wait_new("bob@test.example")
    check_stored(f, "sender@example.net", good, rcpt="bob@test.example")
    assert datadir.new_files("alice@test.example") == []


@pytest.mark.parametrize("bare", [b"\n", b"\r"], ids=["LF", "CR"])
def test_bare_char_in_command(client, datadir, bare):
    client.ehlo()
    client.send(b"MAIL FROM:<evil@example.net>" + bare + b"RCPT TO:<bob@test.example>\r\n"
                b"NOOP\r\nRCPT TO:<bob@test.example>\r\nQUIT\r\n")
    replies = client.read_until_closed()
    codes = [r.code for r in replies]
    # one 5xx for the broken line (or one per fragment), never a 2xx; the MAIL
    # was not accepted, so the following real RCPT is out of sequence
    assert len(codes) >= 4 and codes[-3:] == [250, 503, 221], replies
    assert all(500 <= c < 600 for c in codes[:-3]), replies
    assert_nothing_stored(datadir)
