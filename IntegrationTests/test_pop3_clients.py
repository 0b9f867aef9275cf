"""Real POP3 clients: mpop, fetchmail and getmail6 retrieve exactly the
delivered messages.  All three store LF line ends.  mpop and fetchmail add a
Received header of their own, which is removed before the rest is compared
byte for byte with the stored Maildir file; getmail's is switched off."""

import os
import re
import subprocess

import pytest

from conftest import PASSWORD, deliver_and_map, run_fetchmail, sample_message

ALICE = "alice@test.example"

# mpop prepends:      Received: from 127.0.0.1 (localhost [127.0.0.1])
#                     \tby HOST (mpop-1.4.18) with POP3\n\tfor <USER>; DATE
MPOP_RECEIVED = re.compile(rb"\AReceived: from 127\.0\.0\.1 [^\n]*\n\tby [^\n]*\(mpop-[^\n]*\n"
                           rb"(?:\t[^\n]*\n)*")
# fetchmail puts its own after the Return-Path line:
#                     Received: from 127.0.0.1 [127.0.0.1]
#                     \tby HOST with POP3 (fetchmail-6.4.37)\n\tfor <...> (single-drop); DATE
FETCHMAIL_RECEIVED = re.compile(rb"(?m)^Received: from 127\.0\.0\.1 \[127\.0\.0\.1\]\n"
                                rb"\tby [^\n]* \(fetchmail-[^\n]*\n(?:\t[^\n]*\n)*")


def _messages():
    return [sample_message(1), sample_message(2, filler=4), sample_message(3, filler=40)]


def _by_message_id(contents):
    out = {}
    for b in contents:
        m = re.search(rb"(?m)^Message-ID: (<[^>\n]+>)$", b)
        assert m, f"no Message-ID in {b[:300]!r}"
        assert m.group(1) not in out, f"{m.group(1)!r} retrieved twice"
        out[m.group(1)] = b
    return out


def _maildir(path):
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def _mpop(server, tmp_path, target, auth="user", keep=True, uidls="uidls"):
    cmd = ["mpop", f"--host=127.0.0.1", f"--port={server.pop3_port}", "--tls=off",
           f"--auth={auth}", f"--user={ALICE}", f"--passwordeval=echo '{PASSWORD}'",
           f"--delivery=maildir,{target}", f"--keep={'on' if keep else 'off'}",
           f"--uidls-file={tmp_path / uidls}", "--timeout=30", "--debug"]
    p = subprocess.run(cmd, capture_output=True, timeout=120,
                       env={**os.environ, "HOME": str(tmp_path)})
    out = (p.stdout + p.stderr).decode(errors="replace")
    return p.returncode, out


def _mpop_files(target):
    return [f.read_bytes() for sub in ("new", "cur") for f in sorted((target / sub).iterdir())]


def _strip_mpop(content):
    m = MPOP_RECEIVED.match(content)
    assert m, f"mpop's Received header not where expected: {content[:300]!r}"
    return content[m.end():]


@pytest.mark.parametrize("auth", ["user", "plain"])
def test_mpop(pop3_server, datadir, tmp_path, auth):
    paths = deliver_and_map(pop3_server, datadir, ALICE, _messages())
    stored = _by_message_id([p.read_bytes() for p in paths])

    target = _maildir(tmp_path / "fetched")
    rc, out = _mpop(pop3_server, tmp_path, target, auth=auth)
    assert rc == 0, out
    got = _by_message_id([_strip_mpop(b) for b in _mpop_files(target)])
    assert got.keys() == stored.keys(), out
    for mid, content in stored.items():
        assert got[mid] == content, f"{mid!r} differs from the stored file\n{out[-3000:]}"

    # a second run with the same UIDLs file: nothing new (UIDL works)
    rc, out = _mpop(pop3_server, tmp_path, target, auth=auth)
    assert rc == 0, out
    assert len(_mpop_files(target)) == 3, out

    # without --keep mpop deletes them from the server (DELE + QUIT)
    other = _maildir(tmp_path / "fetched-again")
    rc, out = _mpop(pop3_server, tmp_path, other, auth=auth, keep=False, uidls="uidls2")
    assert rc == 0, out
    assert _by_message_id([_strip_mpop(b) for b in _mpop_files(other)]) == stored
    md = datadir.maildir(ALICE)
    assert [p for sub in ("new", "cur") for p in (md / sub).iterdir()] == [], out


def _fetchmail(server, tmp_path, fetchall=True):
    # sslproto '' : no STARTTLS attempt (fetchmail would otherwise try STLS)
    return run_fetchmail(tmp_path, server.pop3_port, f"keep sslproto '' {'fetchall' if fetchall else ''}",
                         ALICE, PASSWORD)


def _strip_fetchmail(content):
    found = FETCHMAIL_RECEIVED.findall(content)
    assert len(found) == 1, f"fetchmail's Received header not found once: {content[:400]!r}"
    return FETCHMAIL_RECEIVED.sub(b"", content, count=1)


def test_fetchmail(pop3_server, datadir, tmp_path):
    paths = deliver_and_map(pop3_server, datadir, ALICE, _messages())
    stored = _by_message_id([p.read_bytes() for p in paths])

    rc, out, files = _fetchmail(pop3_server, tmp_path, fetchall=False)
    assert rc == 0, out
    got = _by_message_id([_strip_fetchmail(b) for b in files])
    assert got.keys() == stored.keys(), out
    for mid, content in stored.items():
        assert got[mid] == content, f"{mid!r} differs from the stored file\n{out[-3000:]}"
    assert "UIDL" in out

    # again, with the UIDs fetchmail kept: nothing new (exit status 1 = no mail)
    rc, out, files = _fetchmail(pop3_server, tmp_path, fetchall=False)
    assert rc == 1, out
    assert len(files) == 3

    # --fetchall: all of them once more, identical
    rc, out, files = _fetchmail(pop3_server, tmp_path, fetchall=True)
    assert rc == 0, out
    assert len(files) == 6
    again = [_strip_fetchmail(b) for b in files]
    for content in stored.values():
        assert again.count(content) == 2


def _getmail(server, tmp_path, read_all=False, delete=False):
    """getmail6 (SimplePOP3Retriever, USER/PASS) handing each message to an
    external MDA that writes it to a file; getmail's own Received and
    Delivered-To headers are switched off, so the file must equal the stored
    Maildir file exactly.  (The Maildir destination refuses to run as root.)"""
    home = tmp_path / "getmail"
    home.mkdir(exist_ok=True)
    out_dir = tmp_path / "gm-out"
    out_dir.mkdir(exist_ok=True)
    rc = tmp_path / "getmailrc"
    rc.write_text("[retriever]\n"
                  "type = SimplePOP3Retriever\n"
                  "server = 127.0.0.1\n"
                  f"port = {server.pop3_port}\n"
                  f"username = {ALICE}\n"
                  f"password = {PASSWORD}\n"
                  "timeout = 30\n"
                  "\n[destination]\n"
                  "type = MDA_external\n"
                  "path = /bin/sh\n"
                  f'arguments = ("-c", "exec cat > \\"$(mktemp {out_dir}/msg.XXXXXXXX)\\"")\n'
                  "allow_root_commands = true\n"
                  "\n[options]\n"
                  f"read_all = {str(read_all).lower()}\n"
                  f"delete = {str(delete).lower()}\n"
                  "received = false\n"
                  "delivered_to = false\n"
                  "verbose = 2\n")
    p = subprocess.run(["getmail", f"--getmaildir={home}", f"--rcfile={rc}"],
                       capture_output=True, timeout=120, env={**os.environ, "HOME": str(home)})
    out = (p.stdout + p.stderr).decode(errors="replace")
    return p.returncode, out, [f.read_bytes() for f in sorted(out_dir.iterdir())]


def test_getmail(pop3_server, datadir, tmp_path):
    paths = deliver_and_map(pop3_server, datadir, ALICE, _messages())
    stored = _by_message_id([p.read_bytes() for p in paths])

    rc, out, files = _getmail(pop3_server, tmp_path)
    assert rc == 0, out
    assert _by_message_id(files) == stored, out

    # again: getmail remembers the UIDLs (its oldmail file) and fetches nothing
    rc, out, files = _getmail(pop3_server, tmp_path)
    assert rc == 0, out
    assert len(files) == 3, out

    # read_all + delete: all three once more, then they are gone from the server
    rc, out, files = _getmail(pop3_server, tmp_path, read_all=True, delete=True)
    assert rc == 0, out
    assert len(files) == 6, out
    assert sorted(files[:3] + files[3:]) == sorted(list(stored.values()) * 2)
    md = datadir.maildir(ALICE)
    assert [p for sub in ("new", "cur") for p in (md / sub).iterdir()] == [], out
