"""POP3 (RFC 1939, 2449, 5034): retrieval byte for byte with poplib and a raw
client, UIDL, TOP, DELE/RSET/QUIT, the Maildir moves, the login snapshot,
one session per mailbox, pipelining.  Every message is delivered over SMTP
in the same test."""

import poplib
import re
import time

import pytest

from conftest import (PASSWORD, check_name, check_stored, crlf, deliver_and_map,
                      maildir_uid, plain_token, pop3_login_when_free, sample_message)

ALICE = "alice@test.example"
BOB = "bob@test.example"
GREETING = "+OK Tsubame POP3 ready"
HEADERS_ONLY = (b"From: sender@example.net\r\nTo: alice@test.example\r\n"
                b"Subject: headers only, no body\r\n")


def three_messages():
    return [sample_message(1), sample_message(2, filler=3), HEADERS_ONLY]


def top_of(message: bytes, lines: int) -> bytes:
    """What TOP n LINES must send for MESSAGE (CRLF): the header, the blank
    line, then the first LINES lines of the body."""
    i = message.find(b"\r\n\r\n")
    if i < 0:
        return message
    head, body = message[:i + 4], message[i + 4:]
    return head + b"".join(body.splitlines(keepends=True)[:lines])


# --------------------------------------------------------------------------
# poplib


def _poplib(server):
    p = poplib.POP3("127.0.0.1", server.pop3_port, timeout=30)
    server.clients.append(p.sock)   # closed at teardown even if a test fails
    return p


def test_poplib_user_pass_stat_list_uidl_retr_top(pop3_server, datadir):
    messages = three_messages()
    paths = deliver_and_map(pop3_server, datadir, ALICE, messages)
    for path, m in zip(paths, messages):
        check_stored(path, "sender@example.net", m, rcpt=ALICE)
    want = [crlf(p.read_bytes()) for p in paths]
    for w, m in zip(want, messages):
        assert w.endswith(m) and w.startswith(b"Return-Path: <sender@example.net>\r\nReceived: ")
    uids = [maildir_uid(p) for p in paths]

    p = _poplib(pop3_server)
    assert p.getwelcome() == GREETING.encode()
    caps = p.capa()
    for cap in ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"):
        assert cap in caps, f"CAPA lacks {cap}: {caps}"
    assert "PLAIN" in caps.get("SASL", []), caps
    assert caps.get("EXPIRE") == ["NEVER"], caps
    assert caps.get("IMPLEMENTATION", [""])[0] == "Tsubame", caps

    assert p.user(ALICE).startswith(b"+OK")
    assert p.pass_(PASSWORD).startswith(b"+OK")

    count, total = p.stat()
    assert count == 3
    assert total == sum(len(w) for w in want)

    resp, lines, _ = p.list()
    assert resp.startswith(b"+OK")
    assert lines == [b"%d %d" % (i + 1, len(w)) for i, w in enumerate(want)]
    for i, w in enumerate(want, 1):
        assert p.list(i) == b"+OK %d %d" % (i, len(w))

    resp, lines, _ = p.uidl()
    assert lines == [b"%d %s" % (i + 1, u.encode()) for i, u in enumerate(uids)]
    for i, u in enumerate(uids, 1):
        assert p.uidl(i) == b"+OK %d %s" % (i, u.encode())

    for i, w in enumerate(want, 1):
        resp, lines, octets = p.retr(i)
        assert resp.startswith(b"+OK")
        got = b"".join(line + b"\r\n" for line in lines)
        assert got == w, f"RETR {i}: {_first_diff(got, w)}"
        assert octets == len(w), f"RETR {i}: {octets} octets, LIST said {len(w)}"

    # TOP n 0: the header and the blank line; TOP n 2: two more lines
    for i in (1, 2):
        resp, lines, _ = p.top(i, 0)
        got = b"".join(line + b"\r\n" for line in lines)
        assert got == top_of(want[i - 1], 0)
        assert got.endswith(b"\r\n\r\n")
        resp, lines, _ = p.top(i, 2)
        got = b"".join(line + b"\r\n" for line in lines)
        assert got == top_of(want[i - 1], 2)
        assert got.endswith(b"\r\n\r\n.leading dot line %d\r\n.\r\n" % i)
    # a message without a body: TOP gives all of it
    resp, lines, _ = p.top(3, 5)
    assert b"".join(line + b"\r\n" for line in lines) == want[2]

    assert p.quit().startswith(b"+OK")


def test_poplib_auth_plain(pop3_server, datadir):
    [path] = deliver_and_map(pop3_server, datadir, ALICE, [sample_message(7)])
    want = crlf(path.read_bytes())

    # initial response
    p = _poplib(pop3_server)
    assert p._shortcmd("AUTH PLAIN " + plain_token(ALICE)).startswith(b"+OK")
    assert p.stat() == (1, len(want))
    assert b"".join(l + b"\r\n" for l in p.retr(1)[1]) == want
    p.quit()

    # continuation: AUTH PLAIN, "+ ", then the base64 line
    p = _poplib(pop3_server)
    cont = p._shortcmd("AUTH PLAIN")
    assert cont.startswith(b"+") and not cont.startswith(b"+OK"), cont
    assert p._shortcmd(plain_token(ALICE)).startswith(b"+OK")
    assert p.stat() == (1, len(want))
    p.quit()

    # "*" cancels with -ERR; the session stays in AUTHORIZATION and a login works
    p = _poplib(pop3_server)
    cont = p._shortcmd("AUTH PLAIN")
    assert cont.startswith(b"+") and not cont.startswith(b"+OK"), cont
    with pytest.raises(poplib.error_proto, match=r"^b'-ERR"):
        p._shortcmd("*")
    with pytest.raises(poplib.error_proto, match=r"^b'-ERR"):
        p.stat()
    p.user(ALICE)
    p.pass_(PASSWORD)
    assert p.stat() == (1, len(want))
    p.quit()


def _first_diff(got, want):
    i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
             min(len(got), len(want)))
    return (f"differs at octet {i} (got {len(got)}, want {len(want)}): "
            f"got {got[max(0, i - 40):i + 40]!r} want {want[max(0, i - 40):i + 40]!r}")


# --------------------------------------------------------------------------
# raw client: exact octets, responses, UIDL


def test_raw_retr_octets_and_list_sizes(pop3_server, datadir):
    messages = three_messages()
    paths = deliver_and_map(pop3_server, datadir, ALICE, messages)
    want = [crlf(p.read_bytes()) for p in paths]
    for p in paths:
        check_name(p)

    c = pop3_server.pop3()
    assert c.greeting == GREETING
    c.login(ALICE)
    assert c.stat() == (3, sum(map(len, want)))
    sizes = c.list()
    assert sizes == {i + 1: len(w) for i, w in enumerate(want)}
    # LIST size = the W= (CRLF) size in the Maildir file name
    for i, p in enumerate(paths, 1):
        assert sizes[i] == int(re.search(r",W=(\d+)", p.name).group(1))
    uids = c.uidl()
    assert uids == {i + 1: maildir_uid(p) for i, p in enumerate(paths)}
    for u in uids.values():
        assert re.fullmatch(r"[\x21-\x7e]{1,70}", u), f"UIDL {u!r} breaks RFC 1939 §7"
    assert len(set(uids.values())) == 3
    for i, w in enumerate(want, 1):
        got = c.retr(i)
        assert got == w, f"RETR {i}: {_first_diff(got, w)}"
        assert got.endswith(messages[i - 1])
        assert c.top(i, 0) == top_of(w, 0)
        assert c.top(i, 2) == top_of(w, 2)
        assert c.top(i, 10_000) == w
    # the same message twice gives the same octets (now read from cur/)
    assert c.retr(1) == want[0]
    assert c.ok("NOOP") == c.ok("NOOP")
    c.quit()


def test_capa_before_and_after_login(pop3_server):
    c = pop3_server.pop3()
    caps = c.capa()
    for cap in ("TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
                "EXPIRE NEVER"):
        assert cap in caps, f"CAPA lacks {cap!r}: {caps}"
    sasl = [l for l in caps if l.split()[0] == "SASL"]
    assert len(sasl) == 1 and "PLAIN" in sasl[0].split()[1:], caps
    impl = [l for l in caps if l.split()[0] == "IMPLEMENTATION"]
    assert len(impl) == 1 and impl[0].split()[1] == "Tsubame", caps
    c.login(ALICE)
    caps = c.capa()      # RFC 2449: CAPA works in TRANSACTION too
    for cap in ("TOP", "UIDL", "PIPELINING"):
        assert cap in caps, caps
    c.quit()


def test_empty_mailbox(pop3_server):
    c = pop3_server.pop3()
    c.login(BOB)
    assert c.stat() == (0, 0)
    assert c.list() == {}
    assert c.uidl() == {}
    c.err("RETR 1")
    c.quit()


def test_uidl_stable_across_sessions_moves_and_restart(datadir, start_server):
    srv = start_server(pop3=True)
    paths = deliver_and_map(srv, datadir, ALICE, three_messages())
    want_uids = {i + 1: maildir_uid(p) for i, p in enumerate(paths)}
    want = [crlf(p.read_bytes()) for p in paths]

    c = srv.pop3()
    c.login(ALICE)
    assert c.uidl() == want_uids
    assert c.retr(2) == want[1]            # moves message 2 to cur/
    c.quit()

    c = srv.pop3()
    c.login(ALICE)
    assert c.uidl() == want_uids
    c.quit()

    assert srv.stop() == 0
    srv2 = start_server(pop3=True)
    c = srv2.pop3()
    c.login(ALICE)
    assert c.uidl() == want_uids
    for n, u in want_uids.items():
        assert c.ok(f"UIDL {n}") == f"+OK {n} {u}"
    assert [c.retr(i) for i in (1, 2, 3)] == want
    c.quit()


# --------------------------------------------------------------------------
# Maildir: RETR moves to cur/ with :2,S, TOP does not


def test_retr_moves_to_cur_top_does_not(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE,
                            [sample_message(1), sample_message(2)])
    contents = [p.read_bytes() for p in paths]
    md = datadir.maildir(ALICE)

    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.top(1, 0) == top_of(crlf(contents[0]), 0)
    assert c.top(1, 3) == top_of(crlf(contents[0]), 3)
    assert c.retr(2) == crlf(contents[1])
    c.quit()

    moved = md / "cur" / (paths[1].name + ":2,S")
    deadline = time.monotonic() + 5
    while not moved.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(x.name for x in (md / "cur").iterdir()) == [moved.name]
    assert sorted(x.name for x in (md / "new").iterdir()) == [paths[0].name], \
        "TOP moved the message, or RETR left it in new/"
    assert moved.read_bytes() == contents[1]
    assert paths[0].read_bytes() == contents[0]

    # both are still listed, with the same UIDLs and sizes; RETR of the
    # message already in cur/ does not rename it again
    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.uidl() == {1: maildir_uid(paths[0]), 2: maildir_uid(paths[1])}
    assert c.list() == {1: len(crlf(contents[0])), 2: len(crlf(contents[1]))}
    assert c.retr(2) == crlf(contents[1])
    assert c.retr(1) == crlf(contents[0])
    c.quit()
    deadline = time.monotonic() + 5
    while list((md / "new").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(x.name for x in (md / "cur").iterdir()) == sorted(
        [paths[0].name + ":2,S", paths[1].name + ":2,S"])
    assert list((md / "new").iterdir()) == []


# --------------------------------------------------------------------------
# DELE, RSET, QUIT, dropped connections


def _all_names(datadir, addr):
    md = datadir.maildir(addr)
    return sorted(p.name for sub in ("new", "cur") for p in (md / sub).iterdir())


def test_dele_then_quit_removes(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE, three_messages())
    want = [crlf(p.read_bytes()) for p in paths]
    c = pop3_server.pop3()
    c.login(ALICE)
    c.ok("DELE 1")
    c.ok("DELE 3")
    # deleted messages leave STAT and LIST; their numbers stay taken
    assert c.stat() == (1, len(want[1]))
    assert c.list() == {2: len(want[1])}
    assert c.uidl() == {2: maildir_uid(paths[1])}
    c.err("LIST 1")
    c.err("RETR 3")
    c.err("DELE 1")
    c.quit()            # +OK only after the files are gone
    assert _all_names(datadir, ALICE) == [paths[1].name]

    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.stat() == (1, len(want[1]))
    assert c.uidl() == {1: maildir_uid(paths[1])}
    assert c.retr(1) == want[1]
    c.quit()


def test_dele_then_dropped_connection_keeps_messages(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE, three_messages())
    want = [crlf(p.read_bytes()) for p in paths]
    c = pop3_server.pop3()
    c.login(ALICE)
    c.ok("DELE 1")
    c.ok("DELE 2")
    assert c.stat() == (1, len(want[2]))
    c.close()                               # no QUIT

    c = pop3_login_when_free(pop3_server, ALICE)
    assert c.stat() == (3, sum(map(len, want)))
    assert [c.retr(i) for i in (1, 2, 3)] == want
    c.quit()
    assert len(_all_names(datadir, ALICE)) == 3


def test_rset_undoes_dele(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE, three_messages())
    want = [crlf(p.read_bytes()) for p in paths]
    c = pop3_server.pop3()
    c.login(ALICE)
    c.ok("DELE 1")
    c.ok("DELE 2")
    assert c.stat()[0] == 1
    c.ok("RSET")
    assert c.stat() == (3, sum(map(len, want)))
    assert c.list() == {i + 1: len(w) for i, w in enumerate(want)}
    assert c.retr(1) == want[0]
    c.quit()
    assert len(_all_names(datadir, ALICE)) == 3
    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.stat() == (3, sum(map(len, want)))
    c.quit()


def test_quit_before_login_deletes_nothing(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    c = pop3_server.pop3()
    c.quit()
    assert len(_all_names(datadir, ALICE)) == 1


# --------------------------------------------------------------------------
# snapshot at login


def test_snapshot_at_login(pop3_server, datadir):
    [p1] = deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    c = pop3_server.pop3()
    c.login(ALICE)
    first = c.stat()
    assert first == (1, len(crlf(p1.read_bytes())))

    m2 = sample_message(2, filler=5)
    pop3_server.deliver(ALICE, m2)
    files = datadir.wait_new(ALICE, 2)
    [p2] = [f for f in files if f != p1]

    assert c.stat() == first
    assert c.list() == {1: first[1]}
    assert c.uidl() == {1: maildir_uid(p1)}
    c.err("RETR 2")
    c.err("TOP 2 0")
    c.quit()

    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.stat() == (2, first[1] + len(crlf(p2.read_bytes())))
    assert c.uidl() == {1: maildir_uid(p1), 2: maildir_uid(p2)}
    assert c.retr(2).endswith(m2)
    c.quit()


# --------------------------------------------------------------------------
# one session per mailbox


@pytest.mark.auth_config(lockout_failures=1000)
def test_in_use(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    first = pop3_server.pop3()
    first.login(ALICE)

    second = pop3_server.pop3()
    second.ok(f"USER {ALICE}")
    r = second.cmd(f"PASS {PASSWORD}")
    assert r.startswith("-ERR [IN-USE]"), r
    r = second.auth_plain(ALICE)
    assert r.startswith("-ERR [IN-USE]"), r
    second.err("STAT")                      # still not logged in

    # another mailbox is not affected
    bob = pop3_server.pop3()
    bob.login(BOB)
    bob.quit()

    assert first.stat()[0] == 1              # the first session is unharmed
    first.quit()

    third = pop3_server.pop3()              # works again after QUIT
    third.login(ALICE)
    assert third.stat()[0] == 1
    third.close()                            # dropped without QUIT

    t0 = time.monotonic()
    fourth = pop3_login_when_free(pop3_server, ALICE, timeout=5)
    print(f"login after the drop took {time.monotonic() - t0:.2f}s")
    assert fourth.stat()[0] == 1
    fourth.quit()


# --------------------------------------------------------------------------
# pipelining (RFC 2449 §6.6)


def test_pipelining_after_login(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE,
                            [sample_message(1), sample_message(2, filler=2)])
    want = [crlf(p.read_bytes()) for p in paths]
    c = pop3_server.pop3()
    c.login(ALICE)
    c.send(b"STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n")
    _check_pipelined_answers(c, paths, want)


def test_pipelining_with_login(pop3_server, datadir):
    paths = deliver_and_map(pop3_server, datadir, ALICE,
                            [sample_message(1), sample_message(2, filler=2)])
    want = [crlf(p.read_bytes()) for p in paths]
    c = pop3_server.pop3()
    c.send(f"CAPA\r\nUSER {ALICE}\r\nPASS {PASSWORD}\r\n".encode()
           + b"STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\nRETR 2\r\nQUIT\r\n")
    assert c.status().startswith("+OK")
    assert "PIPELINING" in c.read_multiline().decode().split("\r\n")
    assert c.status().startswith("+OK")      # USER
    assert c.status().startswith("+OK")      # PASS
    _check_pipelined_answers(c, paths, want)


def _check_pipelined_answers(c, paths, want):
    r = c.status()
    assert re.fullmatch(rf"\+OK 2 {sum(map(len, want))}(?: .*)?", r), r
    assert c.status().startswith("+OK")
    assert c.read_multiline() == b"".join(b"%d %d\r\n" % (i + 1, len(w))
                                          for i, w in enumerate(want))
    assert c.status().startswith("+OK")
    assert c.read_multiline() == b"".join(b"%d %s\r\n" % (i + 1, maildir_uid(p).encode())
                                          for i, p in enumerate(paths))
    for w in want:
        assert c.status().startswith("+OK")
        assert c.read_multiline() == w
    assert c.status().startswith("+OK")      # QUIT
    assert c.is_closed()


# --------------------------------------------------------------------------
# hard links, foreign file names, shutdown


def test_message_shared_by_two_mailboxes(pop3_server, datadir):
    """A message for two local users is one file hard-linked into both
    Maildirs: RETR/DELE in one mailbox leave the other's copy alone."""
    message = sample_message(1)
    pop3_server.deliver([ALICE, BOB], message)
    [a] = datadir.wait_new(ALICE)
    [b] = datadir.wait_new(BOB)
    assert a.stat().st_ino == b.stat().st_ino
    want = crlf(a.read_bytes())

    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.retr(1) == want
    c.ok("DELE 1")
    c.quit()
    assert _all_names(datadir, ALICE) == []
    assert datadir.new_files(BOB) == [b], "bob's link moved or vanished"

    c = pop3_server.pop3()
    c.login(BOB)
    assert c.uidl() == {1: maildir_uid(b)}
    assert c.retr(1) == want
    c.quit()


def test_foreign_maildir_names(pop3_server, datadir):
    """Files another program put into the Maildir (no S=/W= in the name, an
    info part already in cur/) are listed with sizes from their content."""
    md = datadir.maildir(ALICE)
    files = {
        md / "new" / "1700000000.M1P1Q1.other": b"Subject: one\n\nfirst\n.dot\n",
        md / "cur" / "1700000001.P77.elsewhere:2,S": b"Subject: two\n\nsecond\n",
        md / "cur" / "1700000002.M5P5.third:2,": b"Subject: three\n\n\n",
    }
    for path, content in files.items():
        path.write_bytes(content)
    want = [crlf(c) for c in files.values()]
    c = pop3_server.pop3()
    c.login(ALICE)
    assert c.list() == {1: len(want[0]), 2: len(want[1]), 3: len(want[2])}
    assert c.uidl() == {1: "1700000000.M1P1Q1.other", 2: "1700000001.P77.elsewhere",
                        3: "1700000002.M5P5.third"}
    assert [c.retr(i) for i in (1, 2, 3)] == want
    c.quit()


def test_sigterm_ends_sessions_without_update(pop3_server, datadir):
    """On SIGTERM, open POP3 sessions are closed (an -ERR first is allowed),
    marked messages are not deleted, and the server exits 0."""
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1), sample_message(2)])
    waiting = pop3_server.pop3()               # AUTHORIZATION
    c = pop3_server.pop3()
    c.login(ALICE)
    c.ok("DELE 1")
    pop3_server.terminate()
    for conn in (c, waiting):
        conn.sock.settimeout(20)
        rest = b""
        while True:
            try:
                chunk = conn.sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            rest += chunk
        assert rest == b"" or rest.startswith(b"-ERR"), rest
    assert pop3_server.wait(20) == 0, pop3_server.log()
    assert len(_all_names(datadir, ALICE)) == 2
