"""Messages that must be accepted and stored byte for byte."""

import smtplib

from conftest import CLIENT_HELO, check_stored, split_stored

SENDER = "sender@example.net"


def smtp(server):
    return smtplib.SMTP("127.0.0.1", server.port, local_hostname=CLIENT_HELO, timeout=60)


def plain_message(subject="plain", extra=b""):
    return (b"From: Sender <sender@example.net>\r\n"
            b"To: Alice <alice@test.example>\r\n"
            b"Subject: " + subject.encode() + b"\r\n"
            b"Date: Sun, 29 Nov 2026 19:30:00 +0000\r\n"
            b"Message-ID: <" + subject.encode() + b"@example.net>\r\n"
            b"\r\n"
            b"Hello Alice,\r\n"
            b"\r\n"
            b".a line that starts with a dot\r\n"
            b"..two dots\r\n"
            b".\r\n"
            b"  trailing spaces stay   \r\n"
            + extra +
            b"-- \r\n"
            b"Sender\r\n")


def test_plain_message(server, datadir):
    msg = plain_message()
    with smtp(server) as s:
        assert s.sendmail(SENDER, ["alice@test.example"], msg) == {}
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")
    assert datadir.new_files("bob@test.example") == []


def test_helo_gives_smtp_proto(server, datadir):
    msg = plain_message("helo")
    with smtp(server) as s:
        s.helo(CLIENT_HELO)
        assert s.sendmail(SENDER, ["alice@test.example"], msg) == {}
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "SMTP", rcpt="alice@test.example")


def test_8bit_body(server, datadir):
    msg = ("From: sender@example.net\r\n"
           "To: alice@test.example\r\n"
           "Subject: 8bit\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n"
           "\r\n"
           "Grüße aus Köln — 日本語のテキスト ✉\r\n"
           "raw high bytes: \u00ff\u00fe\r\n").encode("utf-8")
    with smtp(server) as s:
        assert s.sendmail(SENDER, ["alice@test.example"], msg,
                          mail_options=["BODY=8BITMIME"]) == {}
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")


UNI_USER = "\u00fcn\u00efcode@test.example"    # ünïcode, NFC
UNI_SENDER = "\u9001\u4fe1\u8005@example.jp"    # 送信者


def test_smtputf8_address(server, datadir):
    datadir.add_user(UNI_USER)
    msg = ("From: " + UNI_SENDER + "\r\n"
           "To: " + UNI_USER + "\r\n"
           "Subject: utf8\r\n"
           "\r\n"
           "Unicode mailbox \u2713\r\n").encode("utf-8")
    with smtp(server) as s:
        s.ehlo()
        assert s.has_extn("smtputf8")
        assert s.sendmail(UNI_SENDER, [UNI_USER], msg, mail_options=["SMTPUTF8"]) == {}
    [f] = datadir.wait_new(UNI_USER)
    check_stored(f, UNI_SENDER, msg, "UTF8SMTP", rcpt=UNI_USER)


def test_utf8_address_without_smtputf8_rejected(client, datadir):
    client.ehlo()
    r = client.cmd(f"MAIL FROM:<{UNI_SENDER}>")
    assert 500 <= r.code < 600, r
    assert r.enhanced, r


def test_pipelined_transaction(client, datadir):
    r = client.ehlo()
    assert "PIPELINING" in r.lines
    client.send(b"MAIL FROM:<sender@example.net>\r\n"
                b"RCPT TO:<alice@test.example>\r\n"
                b"RCPT TO:<bob@test.example>\r\n"
                b"DATA\r\n")
    codes = [r.code for r in client.read_replies(4)]
    assert codes == [250, 250, 250, 354]
    msg = b"Subject: pipelined\r\n\r\nbody line\r\n"
    client.send(msg + b".\r\n")
    assert client.read_reply().code == 250
    [a] = datadir.wait_new("alice@test.example")
    [b] = datadir.wait_new("bob@test.example")
    check_stored(a, SENDER, msg, "ESMTP")
    assert a.stat().st_ino == b.stat().st_ino


def test_pipelined_after_data_next_transaction(client, datadir):
    """The end of data, RSET-free next MAIL and its RCPTs in one write."""
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.expect("DATA", 354)
    m1 = b"Subject: one\r\n\r\nfirst\r\n"
    m2 = b"Subject: two\r\n\r\nsecond\r\n"
    client.send(m1 + b".\r\nMAIL FROM:<sender@example.net>\r\n"
                b"RCPT TO:<bob@test.example>\r\nDATA\r\n")
    assert [r.code for r in client.read_replies(4)] == [250, 250, 250, 354]
    client.send(m2 + b".\r\n")
    assert client.read_reply().code == 250
    [a] = datadir.wait_new("alice@test.example")
    [b] = datadir.wait_new("bob@test.example")
    check_stored(a, SENDER, m1, "ESMTP", rcpt="alice@test.example")
    check_stored(b, SENDER, m2, "ESMTP", rcpt="bob@test.example")


def _bdat_setup(client):
    r = client.ehlo()
    assert "CHUNKING" in r.lines
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)


def test_bdat_chunks(client, datadir):
    _bdat_setup(client)
    msg = (b"Subject: bdat\r\n\r\nHello, world\r\n"
           b".a dot line, not stuffed in BDAT\r\n"
           b".\r\n"
           b"last line\r\n")
    parts = [msg[:5], msg[5:12], msg[12:20], msg[20:]]
    client.send(b"BDAT %d\r\n" % len(parts[0]) + parts[0])
    r = client.read_reply()
    assert r.code == 250, r
    # the remaining chunks pipelined in one write
    client.send(b"BDAT %d\r\n" % len(parts[1]) + parts[1]
                + b"BDAT %d\r\n" % len(parts[2]) + parts[2]
                + b"BDAT %d LAST\r\n" % len(parts[3]) + parts[3])
    assert [r.code for r in client.read_replies(3)] == [250, 250, 250]
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")
    assert client.cmd("NOOP").code == 250


def test_bdat_crlf_split_between_chunks(client, datadir):
    """A CR at the end of one chunk and its LF at the start of the next are a
    normal line end, not a bare CR and a bare LF."""
    _bdat_setup(client)
    msg = b"Subject: split\r\n\r\nline one\r\nline two\r\n"
    cut = msg.index(b"\r\nline two") + 1
    a, b = msg[:cut], msg[cut:]
    client.send(b"BDAT %d\r\n" % len(a) + a + b"BDAT %d\r\n" % len(b) + b + b"BDAT 0 LAST\r\n")
    assert [r.code for r in client.read_replies(3)] == [250, 250, 250]
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")


def test_alias_delivery(server, datadir):
    msg = plain_message("alias")
    with smtp(server) as s:
        assert s.sendmail(SENDER, ["info@test.example"], msg) == {}
    [a] = datadir.wait_new("alice@test.example")
    [b] = datadir.wait_new("bob@test.example")
    check_stored(a, SENDER, msg, "ESMTP", rcpt="info@test.example")
    assert a.stat().st_ino == b.stat().st_ino
    assert datadir.new_files("carol@test.example") == []


def test_plus_address(server, datadir):
    msg = plain_message("plus")
    with smtp(server) as s:
        assert s.sendmail(SENDER, ["alice+news@test.example"], msg) == {}
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice+news@test.example")
    assert not datadir.maildir("alice+news@test.example").exists()


def test_multi_recipient_hard_links(server, datadir):
    msg = plain_message("multi")
    rcpts = ["alice@test.example", "bob@test.example", "carol@test.example"]
    with smtp(server) as s:
        assert s.sendmail(SENDER, rcpts, msg) == {}
    files = [datadir.wait_new(r)[0] for r in rcpts]
    check_stored(files[0], SENDER, msg, "ESMTP", rcpt=None)
    inodes = {f.stat().st_ino for f in files}
    assert len(inodes) == 1, "recipients do not share one file"
    assert files[0].stat().st_nlink == 3


def test_null_sender(client, datadir):
    msg = b"Subject: bounce\r\n\r\nDelivery report\r\n"
    client.ehlo()
    client.expect("MAIL FROM:<>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    assert client.data(msg).code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, "", msg, "ESMTP", rcpt="alice@test.example")


def test_quoted_local_part_sender(client, datadir):
    msg = b"Subject: quoted\r\n\r\nquoted sender\r\n"
    client.ehlo()
    client.expect('MAIL FROM:<"al ice"@example.net>', 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    assert client.data(msg).code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, '"al ice"@example.net', msg, "ESMTP", rcpt="alice@test.example")


def test_recipient_case_insensitive(client, datadir):
    msg = b"Subject: case\r\n\r\nupper case recipient\r\n"
    assert client.transaction(SENDER, ["Alice@TEST.Example"], msg).code == 250
    [f] = datadir.wait_new("alice@test.example")
    trace, body = split_stored(f.read_bytes())
    assert b"\n\tfor <alice@test.example>; " in trace.lower()
    assert body == msg.replace(b"\r\n", b"\n")


def test_several_messages_one_session(client, datadir):
    client.ehlo()
    msgs = [b"Subject: m%d\r\n\r\nmessage %d\r\n" % (i, i) for i in range(3)]
    for m in msgs:
        assert client.transaction(SENDER, ["carol@test.example"], m, ehlo=False).code == 250
    files = datadir.wait_new("carol@test.example", 3)
    stored = sorted(split_stored(f.read_bytes())[1] for f in files)
    assert stored == sorted(m.replace(b"\r\n", b"\n") for m in msgs)
    names = {f.name.split(",")[0] for f in files}
    assert len(names) == 3


def test_dsn_offered_and_ignored_for_local_recipients(server, datadir):
    """RFC 3461: port 25 offers DSN and takes its parameters; a local delivery stores the
    message as usual (no "delivered" notice yet) and queues nothing."""
    msg = plain_message("dsn")
    with smtp(server) as s:
        s.ehlo(CLIENT_HELO)
        assert s.has_extn("dsn")
        assert s.sendmail(SENDER, ["alice@test.example"], msg,
                          mail_options=["RET=HDRS", "ENVID=abc+2Bdef"],
                          rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;alice+40test.example"]) == {}
        code, text = s.mail(SENDER, ["ENVID=" + "e" * 101])
        assert (code, text[:5]) == (501, b"5.5.4") and b"ENVID" in text
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")
    assert datadir.queue_list() == []
