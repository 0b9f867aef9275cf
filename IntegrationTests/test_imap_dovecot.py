"""A site moves between Tsubame and Dovecot (dovecot-imapd from Debian, its own config, on
loopback) in either direction: Dovecot reads the Maildir after Tsubame's APPEND, STORE with
keywords, COPY, MOVE, EXPUNGE, CREATE, RENAME, DELETE and SUBSCRIBE, and shows the same
UIDVALIDITY, UIDs, flags, keywords, folders and subscriptions; Dovecot's POP3 answers Tsubame's
UIDLs; what Dovecot changes keeps its UIDs in Tsubame. Where both answer the same command on the
same mailbox, the answers agree (differential)."""

import imaplib
import os
import poplib
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import PASSWORD, Server, apply_config_markers, sample_message
from dovecot_imap import DovecotIMAP
from imap_support import imap_client, ok, pop3_uidls

ALICE = "alice@test.example"

if os.geteuid() != 0:
    pytest.skip("running Dovecot needs root (its master binds and setuid()s)", allow_module_level=True)


@pytest.fixture
def imap_srv(request, datadir):
    apply_config_markers(request, datadir, pop3=True)
    srv = Server(datadir, pop3=True).start()
    yield srv
    srv.close_clients()
    if srv.running():
        rc = srv.stop()
        assert rc == 0, f"server exit code {rc}\n{srv.log()}"


@pytest.fixture
def dovecot(datadir):
    # Dovecot's users (dovecot, dovenull, nobody) must traverse the path: pytest's own tmp
    # folders are 0700, so a 0755 one of its own.
    workdir = Path(tempfile.mkdtemp(prefix="tsubame-dovecot-"))
    d = DovecotIMAP(workdir, datadir.path / "directory.sqlite")
    yield d
    d.stop()
    problems = d.problems()
    shutil.rmtree(workdir, ignore_errors=True)
    assert problems == []


def multipart(n):
    return (b"From: \"Ann Example\" <ann@example.net>\r\nTo: alice@test.example, bob@test.example\r\n"
            b"Cc: Group: carol@example.net, dave@example.net;\r\n"
            b"Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= %d\r\nDate: Tue, 1 Dec 2026 09:30:00 +0900\r\n"
            b"Message-ID: <mp%d@example.net>\r\nIn-Reply-To: <parent@example.net>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            b"--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
            b"--inner\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            b"Gr\xc3\xbc\xc3\x9fe %d\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n--inner--\r\n"
            b"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
            b"From: inner@example.org\r\nSubject: forwarded\r\nDate: Mon, 30 Nov 2026 08:00:00 +0000\r\n\r\ninner body\r\n"
            b"--outer\r\nContent-Type: image/png; name=x.png\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: inline; filename=x.png\r\nContent-ID: <img1>\r\n\r\niVBORw0KGgo=\r\n--outer--\r\n"
            % (n, n, n))


def connect(port, user=ALICE):
    c = imaplib.IMAP4("127.0.0.1", port, timeout=30)
    ok(c.login(user, PASSWORD))
    return c


def parse_list(lines):
    out = []
    for line in lines:
        m = re.match(rb'\(([^)]*)\) (?:"(.)"|NIL) "?(.*?)"?$', line)
        assert m, line
        out.append((m.group(3).decode(), frozenset(m.group(1).split())))
    return out


def snapshot(c):
    """What a client sees: folders with attributes, subscriptions, and per folder the STATUS
    values and each message's UID and flags (\\Recent aside: it belongs to the session)."""
    folders = parse_list(ok(c.list('""', '"*"')))
    subscribed = sorted(name for name, _ in parse_list(ok(c.lsub('""', '"*"'))))
    view = {"folders": sorted((name, sorted(attrs)) for name, attrs in folders), "subscribed": subscribed}
    for name, attrs in folders:
        if b"\\Noselect" in attrs or b"\\NonExistent" in attrs:
            continue
        status = ok(c.status(f'"{name}"', "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)"))[0]
        values = dict(re.findall(rb"(MESSAGES|UIDNEXT|UIDVALIDITY|UNSEEN) (\d+)", status))
        ok(c.select(f'"{name}"', readonly=True))
        messages = []
        if int(values[b"MESSAGES"]):
            for line in ok(c.fetch("1:*", "(UID FLAGS)")):
                uid = int(re.search(rb"UID (\d+)", line).group(1))
                flags = sorted(set(re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split()) - {b"\\Recent"})
                messages.append((uid, flags))
        view[name] = ({k.decode(): int(v) for k, v in values.items()}, sorted(messages))
        c.close()
    return view


def tsubame_changes(port):
    c = connect(port)
    ok(c.select("INBOX"))
    ok(c.store("1", "+FLAGS", "(\\Flagged $Label1 $Work)"))
    ok(c.store("2", "+FLAGS", "(\\Seen \\Answered)"))
    ok(c.copy("1:2", "Archive"))
    ok(c._simple_command("MOVE", "3", "Trash"))
    ok(c.store("4", "+FLAGS", "(\\Deleted)"))
    ok(c.expunge())
    ok(c.append("Sent", "(\\Seen $Sent-Label)", None, multipart(9)))
    ok(c.create("Projects"))
    ok(c.create("Projects.2026"))
    ok(c.create("Entw&APw-rfe"))
    ok(c.rename("Projects", "Work"))
    ok(c.create("Scratch"))
    ok(c.delete("Scratch"))
    ok(c.subscribe("Work.2026"))
    ok(c.unsubscribe("Junk"))
    c.logout()


def test_dovecot_reads_what_tsubame_wrote_and_answers_alike(imap_srv, datadir, dovecot):
    for n in range(1, 6):
        imap_srv.deliver(ALICE, multipart(n) if n % 2 else sample_message(n))
    datadir.wait_new(ALICE, 5)
    from imap_support import imap_port
    port = imap_port(imap_srv)
    tsubame_changes(port)
    ours = snapshot(connect(port))

    dovecot.take_maildir(ALICE, datadir.maildir(ALICE))
    dovecot.start()
    theirs = snapshot(connect(dovecot.imap_port))
    assert theirs == ours

    # Dovecot's POP3 answers the UIDLs Tsubame's POP3 answers (the uidlist's P field).
    p = imap_srv.pop3()
    p.ok(f"USER {ALICE}")
    p.ok(f"PASS {PASSWORD}")
    ours_uidl = pop3_uidls(p)
    p.ok("QUIT")
    d = poplib.POP3("127.0.0.1", dovecot.pop3_port, timeout=30)
    d.user(ALICE)
    d.pass_(PASSWORD)
    theirs_uidl = [line.decode().split(" ", 1)[1] for line in d.uidl()[1]]
    d.quit()
    assert theirs_uidl == ours_uidl

    # The same commands on the same mailbox: the same untagged answers.
    script = [
        ("FETCH", "1:*", "(UID RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)"),
        ("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[1] BODY.PEEK[TEXT]<0.40>)"),
        ("FETCH", "1", "(BODY.PEEK[2.MIME] BODY.PEEK[2.HEADER] BODY.PEEK[1.1])"),
        ("SEARCH", "FLAGGED"), ("SEARCH", "KEYWORD", "$Label1"), ("SEARCH", "FROM", "ann"),
        ("SEARCH", "BODY", "html"), ("SEARCH", "OR", "SEEN", "LARGER", "500"), ("SEARCH", "SENTSINCE", "1-Dec-2026"),
        ("SEARCH", "HEADER", "Cc", "dave"), ("SEARCH", "NOT", "UID", "1:2"),
    ]
    for folder in ("INBOX", "Archive", "Sent"):
        answers = []
        for c in (connect(port), connect(dovecot.imap_port)):
            ok(c.select(folder, readonly=True))
            responses = []
            for command in script:
                typ, data = c._simple_command(*command)
                assert typ == "OK", (command, data)
                name = command[0]
                responses.append(c.untagged_responses.pop(name, None))
            answers.append(responses)
            c.logout()
        for command, a, b in zip(script, *answers):
            assert a == b, f"{folder} {command}:\nTsubame {a}\nDovecot {b}"


def test_tsubame_keeps_the_uids_dovecot_assigned(imap_srv, datadir, dovecot):
    for n in range(1, 4):
        imap_srv.deliver(ALICE, sample_message(n))
    datadir.wait_new(ALICE, 3)
    c = imap_client(imap_srv, "alice")      # first login: the special-use folders
    c.logout()
    imap_srv.stop()
    dovecot.take_maildir(ALICE, datadir.maildir(ALICE))
    dovecot.start()
    c = connect(dovecot.imap_port)
    ok(c.select("INBOX"))
    ok(c.store("1", "+FLAGS", "(\\Flagged $FromDovecot)"))
    ok(c.store("2", "+FLAGS", "(\\Deleted)"))
    ok(c.expunge())
    ok(c.append("INBOX", "(\\Seen)", None, b"Subject: appended by dovecot\r\n\r\nbody\r\n"))
    ok(c.create("Dovecot.Made"))
    ok(c.subscribe("Dovecot.Made"))
    c.logout()
    theirs = snapshot(connect(dovecot.imap_port))
    dovecot.stop()

    dovecot.give_maildir(ALICE, datadir.maildir(ALICE))
    srv = Server(datadir, pop3=True).start()
    try:
        from imap_support import imap_port
        ours = snapshot(connect(imap_port(srv)))
        assert ours == theirs
        # And the next UID continues Dovecot's numbering.
        c = connect(imap_port(srv))
        typ, data = c.append("INBOX", None, None, b"Subject: after the move\r\n\r\nx\r\n")
        assert typ == "OK"
        assert re.search(rb"APPENDUID \d+ %d\]" % theirs["INBOX"][0]["UIDNEXT"], data[0]), data
        c.logout()
    finally:
        srv.close_clients()
        assert srv.stop() == 0
