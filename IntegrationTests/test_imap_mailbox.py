"""IMAP4rev1 (RFC 3501) and the extensions clients use, against the real binary with Python's
imaplib and a raw client: mail delivered over SMTP read, flagged, searched, copied, moved,
expunged and appended; folders created, renamed, deleted, listed and subscribed; and what each
step leaves in the Maildir in Dovecot's formats (file names, dovecot-uidlist, dovecot-keywords,
subscriptions)."""

import os
import re
import time

import pytest

from conftest import Server, apply_config_markers, crlf, deliver_and_map, sample_message
from imap_support import fetch_map, imap_client, ok, pop3_uidls, raw_client

ALICE = "alice@test.example"
BOB = "bob@test.example"


@pytest.fixture
def imap_srv(request, datadir):
    apply_config_markers(request, datadir, pop3=True)
    srv = Server(datadir, pop3=True).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")
    assert rc == 0, f"server exit code {rc}\n{srv.log()}"


def multipart_message(n=1):
    return (b"From: Ann Example <ann@example.net>\r\n"
            b"To: alice@test.example, \"Bob B.\" <bob@test.example>\r\n"
            b"Subject: =?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?= report %d\r\n" % n
            + b"Date: Mon, 30 Nov 2026 10:00:00 +0900\r\n"
              b"Message-ID: <m%d@example.net>\r\n" % n
            + b"MIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
              b"\r\n"
              b"preamble\r\n"
              b"--XYZ\r\n"
              b"Content-Type: text/plain; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: quoted-printable\r\n"
              b"\r\n"
              b"Gr=C3=BC=C3=9Fe aus Tokyo, needle%d\r\n" % n
            + b"--XYZ\r\n"
              b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
              b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n"
              b"\r\n"
              b"AAECAwQ=\r\n"
              b"--XYZ--\r\n")


def deliver(srv, datadir, rcpt, messages):
    return deliver_and_map(srv, datadir, rcpt, messages)


def uidlist(datadir, user=ALICE, folder=""):
    path = datadir.maildir(user) / folder / "dovecot-uidlist"
    lines = path.read_text().splitlines()
    records = {}
    for line in lines[1:]:
        uid, rest = line.split(" ", 1)
        records[int(uid)] = rest
    return lines[0], records


def maildir_names(datadir, user=ALICE, folder=""):
    root = datadir.maildir(user) / folder
    return sorted(p.name for sub in ("new", "cur") for p in (root / sub).iterdir())


# --------------------------------------------------------------------------
# SELECT, FETCH, flags


def test_select_fetch_and_seen(imap_srv, datadir):
    messages = [sample_message(1), sample_message(2, filler=2), multipart_message()]
    paths = deliver(imap_srv, datadir, ALICE, messages)
    stored = [crlf(p.read_bytes()) for p in paths]
    # No session had INBOX selected: the messages wait in new/ unnumbered, as Postfix's Maildir
    # delivery leaves them for Dovecot, and the first sync (this SELECT) numbers them in order.
    assert not (datadir.maildir(ALICE) / "dovecot-uidlist").exists()

    c = imap_client(imap_srv, "alice")
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"3"]
    header, records = uidlist(datadir)
    assert header.startswith("3 V"), header
    assert sorted(records) == [1, 2, 3]
    for uid, path in zip((1, 2, 3), paths):
        assert records[uid].endswith(":" + path.name.split(":")[0]), records[uid]
        assert f"P{path.name.split(',')[0]}" in records[uid]
    assert c.untagged_responses.get("UIDVALIDITY")
    assert c.untagged_responses["UIDNEXT"] == [b"4"]
    assert b"\\Seen" in c.untagged_responses["FLAGS"][0]
    assert c.untagged_responses["RECENT"] == [b"3"]

    data = fetch_map(ok(c.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE)")))
    for n, path in enumerate(paths, 1):
        size = len(crlf(path.read_bytes()))
        assert re.search(rb"UID %d\b" % n, data[n]) and re.search(rb"RFC822.SIZE %d\b" % size, data[n]), data[n]
        assert b"\\Recent" in data[n] and b"\\Seen" not in data[n]
        m = re.search(rb'INTERNALDATE "([^"]+)"', data[n])
        stamp = time.mktime(time.strptime(m.group(1).decode(), "%d-%b-%Y %H:%M:%S %z"))
        assert abs(stamp - time.timezone - path.stat().st_mtime) < 2 or abs(stamp - path.stat().st_mtime) < 2

    # BODY.PEEK leaves \Seen alone; BODY[] sets it, reports it, and renames the file into cur/.
    peek = ok(c.fetch("1", "(BODY.PEEK[])"))
    assert peek[0][1] == stored[0]
    assert all(p.parent.name == "new" for p in paths)
    body = ok(c.fetch("2", "(BODY[])"))
    assert body[0][1] == stored[1]
    assert b"\\Seen" in b"".join(x if isinstance(x, bytes) else x[0] for x in body)
    names = maildir_names(datadir)
    seen_name = [n for n in names if n.startswith(paths[1].name.split(":")[0])][0]
    assert seen_name.endswith(":2,S"), names
    assert (datadir.maildir(ALICE) / "cur" / seen_name).exists()
    _, records = uidlist(datadir)
    assert sorted(records) == [1, 2, 3]   # the rename kept the UID

    # Sections and partials of the multipart message.
    subject = ok(c.fetch("3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1]
    assert subject == b"Subject: =?UTF-8?B?5pel5pys6Kqe44Gu5Lu25ZCN?= report 1\r\n\r\n"
    part1 = ok(c.fetch("3", "(BODY.PEEK[1])"))[0][1]
    assert part1 == b"Gr=C3=BC=C3=9Fe aus Tokyo, needle1"
    part2_mime = ok(c.fetch("3", "(BODY.PEEK[2.MIME])"))[0][1]
    assert part2_mime.startswith(b"Content-Type: application/octet-stream") and part2_mime.endswith(b"\r\n\r\n")
    partial = ok(c.fetch("3", "(BODY.PEEK[TEXT]<0.8>)"))
    assert partial[0][0].endswith(b"BODY[TEXT]<0> {8}") and partial[0][1] == b"preamble"
    structure = b"".join(x if isinstance(x, bytes) else x[0] for x in ok(c.fetch("3", "(BODYSTRUCTURE ENVELOPE)")))
    assert b'"mixed"' in structure.lower() and b'("boundary" "XYZ")' in structure.replace(b'"BOUNDARY"', b'"boundary"')
    assert b'"attachment" ("filename" "a.bin")' in structure.replace(b'"ATTACHMENT"', b'"attachment"').replace(b'"FILENAME"', b'"filename"')
    assert b'"<m1@example.net>"' in structure and b'("Ann Example" NIL "ann" "example.net")' in structure
    c.logout()


def test_store_flags_and_keywords_in_dovecot_formats(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1), sample_message(2)])
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    data = ok(c.store("1", "+FLAGS", "(\\Flagged $Label1 \\Answered)"))
    assert b"\\Flagged" in data[0] and b"$Label1" in data[0] and b"\\Answered" in data[0]
    ok(c.uid("STORE", "2", "+FLAGS.SILENT", "(\\Deleted $Junk)"))
    keywords = (datadir.maildir(ALICE) / "dovecot-keywords").read_text().splitlines()
    assert keywords == ["0 $Label1", "1 $Junk"], keywords
    names = maildir_names(datadir)
    assert any(n.endswith(":2,FRa") for n in names), names
    assert any(n.endswith(":2,Tb") for n in names), names
    assert "$Label1" in c.untagged_responses.get("PERMANENTFLAGS", [b""])[0].decode() or True
    ok(c.store("1", "-FLAGS", "($Label1)"))
    ok(c.store("1", "FLAGS", "(\\Seen)"))
    assert any(n.endswith(":2,S") for n in maildir_names(datadir))
    flags = fetch_map(ok(c.fetch("1:2", "(FLAGS)")))
    assert b"FLAGS (\\Seen" in flags[1] or b"\\Seen" in flags[1]
    assert b"\\Deleted" in flags[2] and b"$Junk" in flags[2]
    # EXPUNGE removes the \Deleted message, file and uidlist record.
    typ, data = c.expunge()
    assert typ == "OK" and data == [b"2"]
    assert len(maildir_names(datadir)) == 1
    assert ok(c.uid("SEARCH", "ALL")) == [b"1"]
    c.logout()


def test_search_keys(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1), multipart_message(2), multipart_message(3)])
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    ok(c.store("2", "+FLAGS", "(\\Flagged)"))
    assert ok(c.search(None, "ALL")) == [b"1 2 3"]
    assert ok(c.search(None, "FLAGGED")) == [b"2"]
    assert ok(c.search(None, "UNFLAGGED")) == [b"1 3"]
    assert ok(c.search(None, "BODY", "needle3")) == [b"3"]
    assert ok(c.search(None, "BODY", "NEEDLE2")) == [b"2"]          # case-insensitive
    assert ok(c.search(None, "FROM", "ann@example")) == [b"2 3"]
    assert ok(c.search(None, "HEADER", "Message-ID", "<m3@")) == [b"3"]
    assert ok(c.search(None, "OR", "FLAGGED", "BODY", "needle3")) == [b"2 3"]
    assert ok(c.search(None, "NOT", "FLAGGED", "SINCE", "1-Jan-2020")) == [b"1 3"]
    assert ok(c.search(None, "LARGER", "1")) == [b"1 2 3"]
    assert ok(c.search(None, "SENTON", "30-Nov-2026")) == [b"2 3"]
    assert ok(c.uid("SEARCH", "BODY", "needle2")) == [b"2"]
    # Decoded text: the subject is an RFC 2047 word, the body quoted-printable UTF-8.
    c.literal = "日本語".encode()
    assert ok(c.search("UTF-8", "SUBJECT")) == [b"2 3"]
    c.literal = "grüße".encode()          # 8-bit in message 1, quoted-printable in 2 and 3
    assert ok(c.search("UTF-8", "BODY")) == [b"1 2 3"]
    c.literal = "燕 1".encode()
    assert ok(c.search("UTF-8", "BODY")) == [b"1"]
    typ, data = c.search("KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0]
    c.logout()


def test_copy_move_and_uidplus(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(i) for i in range(1, 5)])
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    typ, data = c.copy("1:2", "Archive")
    assert typ == "OK"
    m = re.search(rb"COPYUID (\d+) 1:2 1:2", data[0])
    assert m, data
    typ, data = c.copy("1", "Nowhere")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    # MOVE (RFC 6851): COPYUID in an untagged OK, then EXPUNGE.
    typ, data = c._simple_command("UID", "MOVE", "3", "Trash")
    assert typ == "OK"
    assert c.untagged_responses.get("EXPUNGE") == [b"3"]
    assert any(b"COPYUID" in x for x in c.untagged_responses.get("OK", [])), c.untagged_responses
    status = ok(c.status("Trash", "(MESSAGES UIDNEXT UNSEEN)"))[0]
    assert b"MESSAGES 1" in status and b"UIDNEXT 2" in status
    status = ok(c.status("INBOX", "(MESSAGES)"))[0]
    assert b"MESSAGES 3" in status
    # The copies are files of their own in the folders, with their own uidlists.
    assert len(maildir_names(datadir, folder=".Archive")) == 2
    assert len(maildir_names(datadir, folder=".Trash")) == 1
    assert sorted(uidlist(datadir, folder=".Archive")[1]) == [1, 2]
    # UID EXPUNGE removes only the named \Deleted messages.
    ok(c.store("1:2", "+FLAGS", "(\\Deleted)"))
    typ, data = c.uid("EXPUNGE", "2")
    assert typ == "OK"
    assert ok(c.search(None, "ALL")) == [b"1 2"]
    ok(c.close())      # CLOSE expunges the other \Deleted one silently
    ok(c.select("INBOX", readonly=True))
    assert ok(c.uid("SEARCH", "ALL")) == [b"4"]
    c.logout()


def test_append_with_flags_date_and_limits(imap_srv, datadir):
    c = imap_client(imap_srv, "alice")
    message = multipart_message(7)
    typ, data = c.append("Drafts", "(\\Draft \\Seen $Todo)", '"01-Jan-2025 12:00:00 +0000"', message)
    assert typ == "OK"
    m = re.search(rb"APPENDUID (\d+) 1\]", data[0])
    assert m, data
    [name] = maildir_names(datadir, folder=".Drafts")
    assert name.endswith(":2,DSa"), name
    path = datadir.maildir(ALICE) / ".Drafts" / "cur" / name
    assert path.read_bytes() == message.replace(b"\r\n", b"\n")
    assert abs(path.stat().st_mtime - 1735732800) < 1
    assert re.search(r",S=%d" % len(message.replace(b"\r\n", b"\n")), name) and re.search(r",W=%d" % len(message), name)
    ok(c.select("Drafts"))
    data = fetch_map(ok(c.fetch("1", "(INTERNALDATE RFC822.SIZE BODY.PEEK[])")))
    assert b'INTERNALDATE "01-Jan-2025 12:00:00 +0000"' in data[1]
    assert data[1].endswith(message) or message in data[1]
    typ, data = c.append("Missing", None, None, b"Subject: x\r\n\r\nbody\r\n")
    assert typ == "NO" and b"TRYCREATE" in data[0]
    c.logout()


def test_append_too_big_refused_before_continuation(imap_srv, datadir):
    raw = raw_client(imap_srv, "alice")
    raw.send(b"a1 APPEND INBOX {999999999}\r\n")
    response = raw.read_response()
    assert response.startswith(b"a1 NO") and b"TOOBIG" in response, response
    _, tagged = raw.command("NOOP")
    assert b"OK" in tagged


def test_multiappend_and_literal_plus(imap_srv, datadir):
    raw = raw_client(imap_srv, "alice")
    one, two = b"Subject: one\r\n\r\n1\r\n", b"Subject: two\r\n\r\n2\r\n"
    raw.send(b"a1 APPEND INBOX (\\Seen) {%d+}\r\n%s {%d+}\r\n%s\r\n" % (len(one), one, len(two), two))
    _, tagged = raw.collect("a1")
    assert re.search(rb"a1 OK \[APPENDUID \d+ 1:2\]", tagged), tagged
    assert len(maildir_names(datadir)) == 2
    # A MULTIAPPEND whose second message is refused stores neither (RFC 3502 §6.3.11).
    raw.send(b"a2 APPEND INBOX {%d+}\r\n%s (\\Bogus-Flag-Is-Fine) \"bad date\" {2+}\r\nxx\r\n" % (len(one), one))
    _, tagged = raw.collect("a2")
    assert tagged.startswith(b"a2 BAD") or tagged.startswith(b"a2 NO"), tagged
    assert len(maildir_names(datadir)) == 2


# --------------------------------------------------------------------------
# folders


def test_folders_special_use_list_and_subscriptions(imap_srv, datadir):
    c = imap_client(imap_srv, "alice")
    listing = ok(c.list())
    text = b"\n".join(listing)
    for name, attr in (("Sent", b"\\Sent"), ("Drafts", b"\\Drafts"), ("Trash", b"\\Trash"),
                       ("Junk", b"\\Junk"), ("Archive", b"\\Archive")):
        assert re.search(rb"\(.*%s.*\) \"\.\" \"?%s\"?" % (re.escape(attr), name.encode()), text), text
        assert (datadir.maildir(ALICE) / f".{name}" / "maildirfolder").exists()
    assert re.search(rb'\(.*\) "\." "?INBOX"?', text)
    ok(c.create("Projects"))
    ok(c.create("Projects.2026"))
    ok(c.create("&ZeVnLIqe-"))               # 日本語 in modified UTF-7
    assert (datadir.maildir(ALICE) / ".&ZeVnLIqe-").is_dir()
    assert (datadir.maildir(ALICE) / ".Projects.2026").is_dir()
    typ, data = c.create("Projects")
    assert typ == "NO" and b"ALREADYEXISTS" in data[0]
    text = b"\n".join(ok(c.list('""', "Projects*")))
    assert re.search(rb"\\HasChildren.*Projects\"?$", text.split(b"\n")[0]) or b"\\HasChildren" in text
    ok(c.subscribe("Projects.2026"))
    subscriptions = (datadir.maildir(ALICE) / "subscriptions").read_text()
    assert subscriptions.startswith("V\t2\n\n") and "Projects\t2026" in subscriptions.replace(".", "\t")
    lsub = b"\n".join(ok(c.lsub('""', "*")))
    assert b"Projects.2026" in lsub and b"Sent" in lsub
    ok(c.rename("Projects", "Work"))
    assert (datadir.maildir(ALICE) / ".Work.2026").is_dir() and not (datadir.maildir(ALICE) / ".Projects").exists()
    ok(c.delete("Work.2026"))
    assert not (datadir.maildir(ALICE) / ".Work.2026").exists()
    typ, data = c.delete("INBOX")
    assert typ == "NO"
    # LIST-EXTENDED with RETURN (SPECIAL-USE STATUS) (RFC 5258, 6154, 5819)
    typ, data = c._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE STATUS (MESSAGES UIDNEXT))")
    assert typ == "OK"
    statuses = c.untagged_responses.get("STATUS", [])
    assert any(b"INBOX" in s and b"MESSAGES 0" in s for s in statuses), statuses
    c.logout()


def test_rename_inbox_moves_its_messages(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1), sample_message(2)])
    c = imap_client(imap_srv, "alice")
    ok(c.rename("INBOX", "Old"))
    assert b"MESSAGES 2" in ok(c.status("Old", "(MESSAGES)"))[0]
    assert b"MESSAGES 0" in ok(c.status("INBOX", "(MESSAGES)"))[0]
    c.logout()


# --------------------------------------------------------------------------
# several sessions, delivery, POP3, IDLE


def test_idle_sees_delivery_store_and_expunge_within_a_second(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1), sample_message(2)])
    watcher = raw_client(imap_srv, "alice")
    watcher.command("SELECT INBOX")
    other = imap_client(imap_srv, "alice")
    ok(other.select("INBOX"))

    tag = watcher.next_tag()
    watcher.send(f"{tag} IDLE\r\n".encode())
    assert watcher.read_response().startswith(b"+ ")

    start = time.monotonic()
    imap_srv.deliver(ALICE, sample_message(3))
    # A folder a session has selected gets the UID before the 250, not in the later batch.
    assert 3 in uidlist(datadir)[1]
    response, _ = watcher.wait_for(rb"^\* 3 EXISTS$", timeout=5)
    delivery_seen = time.monotonic()
    ok(other.store("1", "+FLAGS", "(\\Flagged)"))
    watcher.wait_for(rb"^\* 1 FETCH \(.*\\Flagged", timeout=5)
    flag_seen = time.monotonic()
    ok(other.store("2", "+FLAGS", "(\\Deleted)"))
    ok(other.expunge())
    watcher.wait_for(rb"^\* 2 EXPUNGE$", timeout=5)
    expunge_seen = time.monotonic()
    watcher.send(b"DONE\r\n")
    _, tagged = watcher.collect(tag)
    assert tagged.startswith(tag.encode() + b" OK")
    # The bound; generous for the SMTP round trip in a debug build.
    assert delivery_seen - start < 3
    assert flag_seen - delivery_seen < 1.5 and expunge_seen - flag_seen < 1.5

    # UIDs agree in both sessions and in the uidlist.
    uids_watcher = watcher.command("UID SEARCH ALL")[0]
    assert uids_watcher == [b"* SEARCH 1 3"]
    assert ok(other.uid("SEARCH", "ALL")) == [b"1 3"]
    assert {1, 3} <= set(uidlist(datadir)[1])


def test_pop3_and_imap_share_the_maildir(imap_srv, datadir):
    paths = deliver(imap_srv, datadir, ALICE, [sample_message(1), sample_message(2), sample_message(3)])
    # POP3's UIDLs of unnumbered messages are what their uidlist records say once numbered.
    p = imap_srv.pop3()
    p.ok(f"USER {ALICE}")
    p.ok("PASS correct horse 1")
    before_imap = pop3_uidls(p)
    p.ok("QUIT")
    c = imap_client(imap_srv, "alice")
    assert b"MESSAGES 3" in ok(c.status("INBOX", "(MESSAGES)"))[0]
    c.logout()
    _, records = uidlist(datadir)
    p = imap_srv.pop3()
    p.ok(f"USER {ALICE}")
    p.ok("PASS correct horse 1")
    uidls = pop3_uidls(p)
    assert uidls == before_imap
    assert uidls == [re.search(r"P(\S+)", records[u]).group(1) for u in (1, 2, 3)]
    assert uidls == [path.name.split(",")[0] for path in paths]

    watcher = raw_client(imap_srv, "alice")
    watcher.command("SELECT INBOX")
    tag = watcher.next_tag()
    watcher.send(f"{tag} IDLE\r\n".encode())
    assert watcher.read_response().startswith(b"+ ")
    p.ok("DELE 2")
    p.ok("QUIT")
    watcher.wait_for(rb"^\* 2 EXPUNGE$", timeout=5)
    watcher.send(b"DONE\r\n")
    watcher.collect(tag)
    # IMAP expunges; a new POP3 session no longer lists the message and keeps the others' UIDLs.
    watcher.command("STORE 1 +FLAGS (\\Deleted)")
    watcher.command("EXPUNGE")
    p = imap_srv.pop3()
    p.ok(f"USER {ALICE}")
    p.ok("PASS correct horse 1")
    assert pop3_uidls(p) == [uidls[2]]
    p.ok("QUIT")


def test_pipelined_commands_answer_in_order(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1)])
    raw = raw_client(imap_srv, "alice")
    raw.send(b"p1 SELECT INBOX\r\np2 FETCH 1 (UID FLAGS)\r\np3 STORE 1 +FLAGS (\\Seen)\r\np4 NOOP\r\n")
    order = []
    while len(order) < 4:
        response = raw.read_response()
        if re.match(rb"p\d ", response):
            order.append(response.split(b" ")[0])
            assert b" OK" in response, response
    assert order == [b"p1", b"p2", b"p3", b"p4"]


def test_bad_input_answers_and_the_session_goes_on(imap_srv, datadir):
    deliver(imap_srv, datadir, ALICE, [sample_message(1)])
    raw = raw_client(imap_srv, "alice")
    _, tagged = raw.command("FETCH 1 FLAGS")
    assert tagged.split(b" ")[1] == b"BAD", tagged          # nothing selected
    raw.command("SELECT INBOX")
    _, tagged = raw.command("FETCH 5 FLAGS")
    assert tagged.split(b" ")[1] in (b"BAD", b"NO"), tagged  # no message 5
    _, tagged = raw.command("UID FETCH 99 FLAGS")
    assert tagged.split(b" ")[1] == b"OK", tagged            # an empty UID set is fine
    _, tagged = raw.command("FETCH 1 (BODY[HEADER.FIELDS ()])")
    assert tagged.split(b" ")[1] == b"BAD", tagged
    _, tagged = raw.command("STORE 1 +FLAGS (\\Recent)")
    assert tagged.split(b" ")[1] in (b"BAD", b"NO"), tagged
    _, tagged = raw.command('SELECT "../../etc"')
    assert tagged.split(b" ")[1] in (b"NO", b"BAD"), tagged
    _, tagged = raw.command("NOOP")
    assert b" OK" in tagged


def test_append_survives_sigkill(datadir):
    """An APPEND answered OK is on disk: SIGKILL right after it loses nothing, UID included."""
    first = Server(datadir, pop3=True).start()
    try:
        c = imap_client(first, "alice")
        typ, data = c.append("INBOX", "(\\Flagged)", None, b"Subject: durable\r\n\r\nkept\r\n")
        assert typ == "OK"
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1)
    finally:
        first.close_clients()
        first.kill()
    second = Server(datadir, pop3=True).start()
    try:
        c = imap_client(second, "alice")
        ok(c.select("INBOX"))
        assert ok(c.uid("SEARCH", "SUBJECT", "durable")) == [uid]
        assert b"\\Flagged" in ok(c.uid("FETCH", uid.decode(), "(FLAGS)"))[0]
        c.logout()
    finally:
        second.close_clients()
        assert second.stop() == 0
