"""POP3 login: who may log in, identical answers for every failure, the
plaintext policy, the delay after failures, the lockouts (per client address,
never of an account for everyone) and the bounded password-check pool."""

import time

import pytest

from conftest import ALIAS, PASSWORD, deliver_and_map, plain_token, sample_message

ALICE = "alice@test.example"
FAILED = "-ERR [AUTH] Authentication failed"
LOCKED = "-ERR [SYS/TEMP] Too many failed logins, try again later"
BUSY = "-ERR [SYS/TEMP] Temporary server failure, try again later"
BOB = "bob@test.example"


def _user_pass(server, user, password, source=None):
    """(USER reply, PASS reply) on a fresh connection (from the client address
    SOURCE, e.g. "127.0.0.2"); the PASS reply is the USER reply when that was -ERR."""
    c = server.pop3(source=source)
    r1 = c.cmd(f"USER {user}")
    r2 = c.cmd(f"PASS {password}") if r1.startswith("+OK") else r1
    c.close()
    return r1, r2


def _auth_plain(server, user, password, initial=True):
    c = server.pop3()
    r = c.auth_plain(user, password, initial=initial)
    c.close()
    return r


def test_login_user_pass_and_auth_plain(pop3_server):
    for login in ("user", "plain-initial", "plain-continuation"):
        c = pop3_server.pop3()
        if login == "user":
            c.login(ALICE)
        else:
            r = c.auth_plain(ALICE, initial=login == "plain-initial")
            assert r.startswith("+OK"), r
        assert c.stat() == (0, 0)
        c.quit()


def test_auth_plain_cancel(pop3_server):
    c = pop3_server.pop3()
    r = c.cmd("AUTH PLAIN")
    assert r.startswith("+ ") or r == "+", r
    c.err("*")
    c.err("STAT")                 # not logged in
    r = c.auth_plain(ALICE)       # and a login still works
    assert r.startswith("+OK"), r
    c.quit()


def test_auth_plain_authzid(pop3_server):
    """An authorization identity equal to the user is the same login; another
    user's is refused (no proxy logins)."""
    c = pop3_server.pop3()
    r = c.cmd("AUTH PLAIN " + plain_token(ALICE, PASSWORD, authzid=ALICE))
    assert r.startswith("+OK"), r
    c.quit()
    c = pop3_server.pop3()
    r = c.cmd("AUTH PLAIN " + plain_token(ALICE, PASSWORD, authzid="bob@test.example"))
    assert r.startswith("-ERR"), r
    c.close()


@pytest.mark.auth_config(lockout_failures=100)
def test_failures_are_indistinguishable(pop3_server):
    """Unknown user, unknown domain, alias, wrong password: the very same
    replies, by USER/PASS and by AUTH PLAIN."""
    cases = [("nobody@test.example", PASSWORD),
             ("alice@other.example", PASSWORD),
             (ALIAS[0], PASSWORD),
             (ALICE, "wrong password"),
             (ALICE, PASSWORD[:-1])]
    user_replies = {_user_pass(pop3_server, u, p) for u, p in cases}
    assert len(user_replies) == 1, user_replies
    r1, r2 = user_replies.pop()
    assert r1.startswith("+OK"), r1
    assert r2 == FAILED
    plain = {_auth_plain(pop3_server, u, p) for u, p in cases[:2] + cases[3:4]}
    assert plain == {FAILED}, plain


def test_alias_cannot_log_in(pop3_server):
    alias, targets = ALIAS
    assert _user_pass(pop3_server, alias, PASSWORD)[1] == FAILED
    assert _auth_plain(pop3_server, alias, PASSWORD) == FAILED
    assert _auth_plain(pop3_server, alias, PASSWORD, initial=False) == FAILED
    # its targets can
    c = pop3_server.pop3()
    c.login(targets[0])
    c.quit()


def test_failed_login_then_success_in_one_session(pop3_server):
    c = pop3_server.pop3()
    c.ok(f"USER {ALICE}")
    assert c.cmd("PASS nope") == FAILED
    c.err("STAT")
    c.ok(f"USER {ALICE}")
    c.ok(f"PASS {PASSWORD}")
    c.stat()
    c.quit()


@pytest.mark.pop3_config(allow_plaintext="never")
def test_plaintext_never(pop3_server):
    c = pop3_server.pop3()
    caps = c.capa()
    assert "USER" not in caps, caps
    sasl = [l for l in caps if l.split()[0] == "SASL"]
    assert all("PLAIN" not in l.split()[1:] for l in sasl), caps
    r = c.cmd(f"USER {ALICE}")
    if r.startswith("+OK"):
        r = c.cmd(f"PASS {PASSWORD}")
    assert r.startswith("-ERR"), r
    c.err(f"AUTH PLAIN {plain_token(ALICE)}")
    r = c.cmd("AUTH PLAIN")
    if r.startswith("+"):
        r = c.cmd(plain_token(ALICE))
    assert r.startswith("-ERR"), r
    c.err("STAT")                  # never logged in
    c.ok("QUIT")


@pytest.mark.pop3_config(allow_plaintext="always")
def test_plaintext_always(pop3_server):
    c = pop3_server.pop3()
    assert "USER" in c.capa()
    c.login(ALICE)
    c.quit()


# --------------------------------------------------------------------------
# delays and lockout


def _timed_failure(server, user=ALICE, password="wrong password"):
    """Seconds from connecting to the -ERR of a failed login."""
    t0 = time.monotonic()
    c = server.pop3()
    c.ok(f"USER {user}")
    r = c.cmd(f"PASS {password}")
    took = time.monotonic() - t0
    c.close()
    assert r.startswith("-ERR"), r
    return took


@pytest.mark.auth_config(failure_delay_ms=200, max_failure_delay_ms=800,
                         lockout_failures=100, lockout_failures_per_account=100, lockout_seconds=300)
def test_failure_delay_grows(pop3_server):
    """Delays double per consecutive failure (200, 400, 800 ms, then capped at
    800 ms here); timings are asserted loosely."""
    times = [_timed_failure(pop3_server) for _ in range(5)]
    print("failed logins took", [f"{t:.3f}" for t in times])
    assert times[2] > times[0] + 0.25, times
    assert times[1] > times[0] + 0.05, times
    assert max(times) < 0.8 + 3.0, f"the delay is not capped at 0.8 s: {times}"
    # the correct password still works (no lockout below lockout_failures); a success does
    # not reset the client address's count (LoginThrottleTests.successEndsOnlyThePairsCount)
    t0 = time.monotonic()
    c = pop3_server.pop3()
    c.login(ALICE)
    c.quit()
    print(f"correct login took {time.monotonic() - t0:.3f}s")


@pytest.mark.auth_config(failure_delay_ms=200, max_failure_delay_ms=800,
                         lockout_failures=100, lockout_seconds=300)
def test_failure_delay_unknown_user(pop3_server):
    """Failures for accounts that do not exist are delayed the same way (per
    client IP), so timing does not tell them apart."""
    times = [_timed_failure(pop3_server, user=f"nobody{i}@test.example") for i in range(3)]
    print("failed logins took", [f"{t:.3f}" for t in times])
    assert times[0] > 0.1, times
    assert times[2] > times[0] + 0.25, times


@pytest.mark.auth_config(failure_delay_ms=0, lockout_failures=3, lockout_seconds=2)
def test_lockout(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    for _ in range(3):
        assert _user_pass(pop3_server, ALICE, "wrong password")[1] == FAILED
    # locked out: the correct password is refused, by USER/PASS and AUTH PLAIN
    r = _user_pass(pop3_server, ALICE, PASSWORD)[1]
    assert r.startswith("-ERR"), r
    r = _auth_plain(pop3_server, ALICE, PASSWORD)
    assert r.startswith("-ERR"), r
    locked_at = time.monotonic()
    # after lockout_seconds (counted from the last attempt at most) it works
    time.sleep(max(0.0, locked_at + 2 + 1.0 - time.monotonic()))
    c = pop3_server.pop3()
    c.ok(f"USER {ALICE}")
    r = c.cmd(f"PASS {PASSWORD}")
    assert r.startswith("+OK"), f"still refused 3 s after the lockout: {r!r}"
    assert c.stat()[0] == 1
    c.quit()


@pytest.mark.auth_config(lockout_failures=5)
def test_stranger_cannot_lock_out_the_owner(pop3_server):
    """20 wrong passwords for alice from 127.0.0.2 lock out 127.0.0.2 (for every
    account), never alice: her correct password from 127.0.0.1 logs in."""
    replies = [_user_pass(pop3_server, ALICE, f"guess {i}", source="127.0.0.2")[1] for i in range(20)]
    assert replies[:5] == [FAILED] * 5, replies
    assert replies[5:] == [LOCKED] * 15, replies
    c = pop3_server.pop3(source="127.0.0.1")
    c.ok(f"USER {ALICE}")
    r = c.cmd(f"PASS {PASSWORD}")
    assert r.startswith("+OK"), f"the owner is locked out by a stranger's failures: {r!r}"
    c.quit()
    # 127.0.0.2 stays locked out, with the right password too, and for bob as well
    assert _user_pass(pop3_server, ALICE, PASSWORD, source="127.0.0.2")[1] == LOCKED
    assert _user_pass(pop3_server, BOB, PASSWORD, source="127.0.0.2")[1] == LOCKED
    c = pop3_server.pop3(source="127.0.0.2")
    assert c.auth_plain(BOB) == LOCKED
    c.close()


@pytest.mark.auth_config(lockout_failures=10, lockout_failures_per_account=3)
def test_lockout_per_account_and_address(pop3_server):
    """Failures for one account from one address lock that address out of that
    account only; an unknown account locks the same way."""
    for account in (ALICE, "nobody@test.example"):
        replies = [_user_pass(pop3_server, account, "wrong password", source="127.0.0.2")[1]
                   for _ in range(4)]
        assert replies == [FAILED, FAILED, FAILED, LOCKED], (account, replies)
    c = pop3_server.pop3(source="127.0.0.2")
    c.login(BOB)               # another account from the same address
    c.quit()
    c = pop3_server.pop3(source="127.0.0.1")
    c.login(ALICE)             # the same account from another address
    c.quit()


@pytest.mark.auth_config(max_pending=1, lockout_failures=100, lockout_failures_per_account=100)
def test_password_checks_past_max_pending_are_refused_at_once(pop3_server):
    """With one password check allowed at a time, logins sent together get
    -ERR [SYS/TEMP] instead of queueing; afterwards logins work again.
    (Each check is a yescrypt hash, tens of ms: 16 PASS sent at once overlap.)"""
    clients = [pop3_server.pop3() for _ in range(16)]
    for c in clients:
        c.ok(f"USER {ALICE}")
    for c in clients:
        c.send(b"PASS wrong password\r\n")
    replies = [c.status() for c in clients]
    print(replies)
    assert set(replies) <= {FAILED, BUSY}, replies
    assert BUSY in replies and FAILED in replies, replies
    for c in clients:
        c.close()
    c = pop3_server.pop3()
    c.login(ALICE)
    c.quit()


def test_log_has_no_passwords(pop3_server, datadir):
    """Logins and failures are logged without the password or the AUTH
    PLAIN token."""
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    wrong = "Sekret-Wrong-Pw-93"
    _user_pass(pop3_server, ALICE, wrong)
    _auth_plain(pop3_server, ALICE, wrong)
    c = pop3_server.pop3()
    c.login(ALICE)
    c.retr(1)
    c.quit()
    c = pop3_server.pop3()
    assert c.auth_plain(ALICE).startswith("+OK")
    c.quit()
    time.sleep(0.5)
    log = pop3_server.log()
    print(log)
    for secret in (PASSWORD, wrong, plain_token(ALICE), plain_token(ALICE, wrong)):
        assert secret not in log, f"the log shows {secret!r}"


def test_a_remembered_password_ends_with_user_passwd(pop3_server, datadir):
    """Successful password checks are remembered ([auth] cache_seconds), keyed by the stored
    hash: after `tsubame user passwd` (another process) the old password fails at once on the
    running server and the new one works; a wrong password is never remembered."""
    from conftest import run_cli
    for _ in range(2):   # the second login is the remembered one
        assert _user_pass(pop3_server, ALICE, PASSWORD)[1].startswith("+OK")
    run_cli("user", "passwd", ALICE, "--data", datadir.path, "--password-stdin", stdin=b"battery staple 42\n")
    assert _user_pass(pop3_server, ALICE, PASSWORD)[1] == FAILED
    assert _user_pass(pop3_server, ALICE, "battery staple 42")[1].startswith("+OK")
    assert _user_pass(pop3_server, ALICE, "battery staple 42")[1].startswith("+OK")
    assert "battery" not in pop3_server.log()
