"""The POP3 download driver of bench/pop3-retrieve: worker processes built on poplib.

Each worker process takes users from a shared queue and, for each, runs one POP3 session:
USER/PASS, STAT, UIDL, RETR of every message, QUIT (no DELE).  It records per user what STAT
said, the UIDLs, and for every message its octet count (RFC 1939: CRLF line ends, dot-stuffing
undone) and an MD5 of those octets, so two servers' downloads can be compared byte for byte.

Two ways to read RETR's multi-line answer:
  * "bulk" (default): poplib for the session, but RETR's answer is read in 64 KiB chunks up to
    the CRLF.CRLF terminator and un-dot-stuffed with one bytes.replace — so the client spends
    little CPU per message and the servers, not Python, set the pace;
  * "poplib": poplib.POP3.retr() as is (one readline() per line of the message), which costs
    the client several times more CPU per message.
Lives in a module (not in the script) so multiprocessing's "spawn" can import it.
"""

from __future__ import annotations

import hashlib
import poplib
import resource
import socket
import time
import traceback

CRLF_DOT_CRLF = b"\r\n.\r\n"


class BenchPOP3(poplib.POP3):
    def retr_bulk(self, which: int) -> bytes:
        """RETR `which`; returns the message octets (CRLF line ends, dot-stuffing removed)."""
        self._putcmd(f"RETR {which}")
        self._getresp()  # status line; raises poplib.error_proto on -ERR
        f = self.file
        buf = bytearray()
        while True:
            chunk = f.read1(65536)
            if not chunk:
                raise poplib.error_proto("connection closed in the middle of RETR")
            start = max(0, len(buf) - 4)
            buf += chunk
            if buf.startswith(b".\r\n"):  # empty message
                if len(buf) != 3:
                    raise poplib.error_proto("data after the end of RETR")
                return b""
            end = buf.find(CRLF_DOT_CRLF, start)
            if end >= 0:
                if end + 5 != len(buf):
                    raise poplib.error_proto(f"{len(buf) - end - 5} bytes after the end of RETR")
                data = bytes(buf[:end + 2])
                break
        if data.startswith(b".."):
            data = data[1:]
        return data.replace(b"\r\n..", b"\r\n.")

    def retr_lines(self, which: int) -> bytes:
        _resp, lines, octets = self.retr(which)
        data = b"".join(line + b"\r\n" for line in lines)
        if len(data) != octets:
            raise poplib.error_proto(f"poplib counted {octets} octets, lines add up to {len(data)}")
        return data


def download_user(port: int, user: str, password: str, mode: str, timeout: float) -> dict:
    r: dict = {"user": user, "ok": False, "error": None, "stat_count": None, "stat_octets": None,
               "retrieved": 0, "octets": 0, "messages": [], "uidl_count": None}
    t0 = time.monotonic()
    try:
        c = BenchPOP3("127.0.0.1", port, timeout=timeout)
        try:
            r["greeting"] = c.getwelcome().decode("utf-8", "replace")[:200]
            c.user(user)
            c.pass_(password)
            t_login = time.monotonic()
            r["login_s"] = t_login - t0
            count, size = c.stat()
            r["stat_count"], r["stat_octets"] = count, size
            _resp, lines, _ = c.uidl()
            uidls: dict[int, str] = {}
            for line in lines:
                n, uid = line.decode("ascii", "replace").split(" ", 1)
                uidls[int(n)] = uid
            r["uidl_count"] = len(uidls)
            get = c.retr_bulk if mode == "bulk" else c.retr_lines
            msgs = []
            for n in range(1, count + 1):
                data = get(n)
                msgs.append((uidls.get(n, ""), len(data), hashlib.md5(data).hexdigest()))
                r["retrieved"] += 1
                r["octets"] += len(data)
            r["messages"] = msgs
            c.quit()
            r["ok"] = True
        finally:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
    except (OSError, EOFError, poplib.error_proto, ValueError) as e:
        r["error"] = f"{type(e).__name__}: {e}"
    except Exception:  # noqa: BLE001 - report, don't hang the run
        r["error"] = traceback.format_exc(limit=3)
    r["session_s"] = time.monotonic() - t0
    return r


def worker(port: int, jobs, results, ready, go, mode: str, timeout: float) -> None:
    """multiprocessing target: jobs holds (user, password) pairs, then None sentinels."""
    ready.release()
    go.wait()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t_first = time.monotonic()
    n = 0
    while True:
        job = jobs.get()
        if job is None:
            break
        results.put(("user", download_user(port, job[0], job[1], mode, timeout)))
        n += 1
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    results.put(("worker", {"users": n, "t_first": t_first, "t_last": time.monotonic(),
                            "cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)}))


def probe(port: int, timeout: float = 5.0) -> str:
    """The server's greeting (raises if nothing POP3-like answers)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        data = s.recv(512)
        s.sendall(b"QUIT\r\n")
        return data.decode("utf-8", "replace").strip()
