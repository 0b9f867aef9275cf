"""POP3 at size: a 20,000-message mailbox answers STAT/LIST/UIDL in good
time; a 25 MB message is retrieved exactly and streamed (the server's memory
does not grow by the message's size)."""

import os
import re
import threading
import time

from conftest import check_stored, crlf, deliver_and_map, maildir_uid, pop3_login_when_free

ALICE = "alice@test.example"
BOB = "bob@test.example"
COUNT = 20_000
DEADLINE = 30.0        # seconds per command; a behaviour check, not a benchmark


def _generate(maildir, count):
    """COUNT messages written straight into MAILDIR/new with Maildir names
    `<seconds>.M<usec>P<pid>Q<n>.host,S=<size>,W=<vsize>` (one second apart,
    oldest first, mtimes to match) and LF line ends.  Returns [(name, bytes)]."""
    base = int(time.time()) - count - 3600
    out = []
    for i in range(count):
        sec = base + i
        content = (f"Return-Path: <gen@example.net>\n"
                   f"Received: from gen.example ([127.0.0.1])\n"
                   f"\tby mx.test.example (Tsubame) with ESMTP id GEN{i:08d}\n"
                   f"\tfor <{ALICE}>; Sun, 29 Nov 2026 19:30:00 +0000\n"
                   f"From: gen@example.net\nTo: {ALICE}\nSubject: generated {i}\n"
                   f"Message-ID: <gen-{i}@example.net>\n\n"
                   f"body of message {i}\n" + ".dotted\n" * (i % 3)).encode()
        vsize = len(content) + content.count(b"\n")
        name = (f"{sec}.M{(i * 7919) % 1_000_000}P4242Q{i + 1}.gen.test"
                f",S={len(content)},W={vsize}")
        path = maildir / "new" / name
        path.write_bytes(content)
        os.utime(path, (sec, sec))
        out.append((name, content))
    return out


def _timed(what, fn, times):
    t0 = time.monotonic()
    result = fn()
    took = time.monotonic() - t0
    times[what] = round(took, 3)
    assert took < DEADLINE, f"{what} took {took:.1f}s"
    return result


def test_twenty_thousand_messages(pop3_server, datadir):
    md = datadir.maildir(ALICE)
    t0 = time.monotonic()
    msgs = _generate(md, COUNT)
    print(f"generated {COUNT} files in {time.monotonic() - t0:.1f}s")
    sizes = [len(crlf(c)) for _, c in msgs]

    times = {}
    c = pop3_server.pop3(timeout=DEADLINE + 5)
    _timed("login", lambda: c.login(ALICE), times)
    assert _timed("STAT", c.stat, times) == (COUNT, sum(sizes))
    uidl = _timed("UIDL", c.uidl, times)
    assert len(uidl) == COUNT
    assert uidl == {i + 1: maildir_uid(name) for i, (name, _) in enumerate(msgs)}
    listing = _timed("LIST", c.list, times)
    assert listing == {i + 1: s for i, s in enumerate(sizes)}
    assert _timed("UIDL 20000", lambda: c.ok(f"UIDL {COUNT}"), times) == \
        f"+OK {COUNT} {maildir_uid(msgs[-1][0])}"
    assert _timed("RETR 1", lambda: c.retr(1), times) == crlf(msgs[0][1])
    assert _timed("RETR 20000", lambda: c.retr(COUNT), times) == crlf(msgs[-1][1])
    assert c.top(10_000, 0) == crlf(msgs[9_999][1]).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    # delete the first 1000 in one pipelined write
    c.send(b"".join(b"DELE %d\r\n" % n for n in range(1, 1001)))
    for n in range(1, 1001):
        r = c.status()
        assert r.startswith("+OK"), f"DELE {n}: {r!r}"
    assert c.stat() == (COUNT - 1000, sum(sizes[1000:]))
    _timed("QUIT", c.quit, times)
    print("times (s):", times)

    left = sorted(maildir_uid(p) for sub in ("new", "cur") for p in (md / sub).iterdir())
    assert left == sorted(maildir_uid(name) for name, _ in msgs[1000:])
    assert (md / "cur" / (msgs[-1][0] + ":2,S")).exists()

    c = pop3_server.pop3(timeout=DEADLINE + 5)
    c.login(ALICE)
    assert c.stat() == (COUNT - 1000, sum(sizes[1000:]))
    assert c.ok("UIDL 1") == f"+OK 1 {maildir_uid(msgs[1000][0])}"
    c.quit()


def _big_message(size):
    """A CRLF message of about SIZE octets: 78-character lines, some starting
    with '.', none longer than SMTP allows."""
    head = (b"From: big@example.net\r\nTo: bob@test.example\r\nSubject: 25 MB\r\n"
            b"Message-ID: <big-25mb@example.net>\r\n\r\n")
    lines = []
    total = len(head)
    k = 0
    while total < size:
        if k % 1000 == 0:
            line = b".%077d\r\n" % k
        else:
            line = b"%078d\r\n" % (k * 2654435761 % 10 ** 78)
        lines.append(line)
        total += len(line)
        k += 1
    return head + b"".join(lines)


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"(?m)^VmRSS:\s+(\d+) kB", f.read()).group(1))


def test_25mb_retr_is_exact_and_streamed(pop3_server, datadir):
    message = _big_message(25 * 1024 * 1024)
    [path] = deliver_and_map(pop3_server, datadir, BOB, [message])
    check_stored(path, "sender@example.net", message, rcpt=BOB)
    want = crlf(path.read_bytes())

    c = pop3_server.pop3(timeout=120)
    c.login(BOB)
    assert c.list() == {1: len(want)}
    assert c.top(1, 2) == want[:want.index(b"\r\n\r\n") + 4 + 2 * 80]

    pid = pop3_server.pid

    # a reader as fast as it can
    with RSSSampler(pid) as rss:
        t0 = time.monotonic()
        got = c.retr(1)
        took = time.monotonic() - t0
    print(f"RETR of {len(want)} octets took {took:.2f}s; {rss}")
    assert got == want, "the 25 MB message differs"
    assert got.endswith(message)
    assert rss.growth_mib < 25, f"server RSS grew by {rss.growth_mib:.1f} MiB during the RETR"

    # a reader that stalls for 3 s after asking: the server must wait for the
    # socket (backpressure), not read the file into memory ahead of it
    with RSSSampler(pid) as rss:
        c.send(b"RETR 1\r\n")
        time.sleep(3)
        assert c.status().startswith("+OK")
        got = c.read_multiline()
    print(f"stalled reader: {rss}")
    assert got == want
    assert rss.growth_mib < 25, f"server RSS grew by {rss.growth_mib:.1f} MiB (stalled reader)"
    c.quit()

    # a client that goes away in the middle of a RETR: the server carries on,
    # the mailbox is released, nothing is deleted
    c = pop3_server.pop3(timeout=60)
    c.login(BOB)
    c.ok("DELE 1")
    c.ok("RSET")
    c.send(b"RETR 1\r\n")
    received = 0
    while received < 2 * 1024 * 1024:
        chunk = c.sock.recv(65536)
        assert chunk, "the server closed during the RETR"
        received += len(chunk)
    c.close()
    c = pop3_login_when_free(pop3_server, BOB, timeout=10)
    assert c.list() == {1: len(want)}
    assert c.top(1, 0) == want[:want.index(b"\r\n\r\n") + 4]
    c.quit()


class RSSSampler:
    """Samples a process's VmRSS every 50 ms while in a `with` block."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.baseline = min(_rss_kib(self.pid) for _ in range(3))
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)

    def _run(self):
        while not self.stop.is_set():
            self.samples.append(_rss_kib(self.pid))
            time.sleep(0.05)

    @property
    def growth_mib(self):
        return (max(self.samples + [self.baseline]) - self.baseline) / 1024

    def __str__(self):
        return (f"RSS baseline {self.baseline / 1024:.1f} MiB, peak "
                f"{max(self.samples + [self.baseline]) / 1024:.1f} MiB ({len(self.samples)} "
                f"samples), growth {self.growth_mib:.1f} MiB")
