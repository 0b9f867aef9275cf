"""Shared helpers for the Tsubame benchmarks (bench/smtp-ingest, smtp-idle, pop3-retrieve, pop3-idle).

Linux only: process accounting reads /proc.  Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (tiny race window; fine for a benchmark)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_kept_closed() -> int:
    """A free TCP port on 127.0.0.1 below the kernel's ephemeral range, for a peer that must stay
    closed for a while (a next hop that refuses the first attempts). A port from `free_port()`
    is an ephemeral one, which the kernel may hand to the next bind to port 0: once it was the
    Tsubame under test's own listener, which then relayed to itself."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
    for port in random.sample(range(20000, max(20001, ephemeral_low)), 500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def wait_for_port(port: int, timeout: float = 15.0, banner: bool = True, greeting: bytes = b"220") -> None:
    """Wait until 127.0.0.1:port accepts a connection (and, optionally, sends a greeting starting
    with `greeting`: b"220" for SMTP, b"+OK" for POP3; QUIT ends both)."""
    deadline = time.monotonic() + timeout
    last_err: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if banner:
                    data = s.recv(512)
                    if not data.startswith(greeting):
                        raise RuntimeError(f"unexpected greeting {data!r}")
                    s.sendall(b"QUIT\r\n")
                    try:
                        s.recv(512)
                    except OSError:
                        pass
                return
        except (OSError, RuntimeError) as e:  # not up yet
            last_err = e
            time.sleep(0.05)
    raise RuntimeError(f"nothing answering on 127.0.0.1:{port} after {timeout}s ({last_err})")


def raise_nofile(n: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n and os.geteuid() == 0:
        # Root may raise the hard limit too (100,000 idle connections need that many), unless
        # the container withholds CAP_SYS_RESOURCE.
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, n))
            hard = n
        except (ValueError, OSError):
            pass
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- /proc accounting

def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may contain spaces/parens: split after the last ')'
    return raw[raw.rindex(")") + 2:].split()


def all_ppids() -> dict[int, int]:
    out: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = _stat_fields(int(name))
            if f is not None:
                out[int(name)] = int(f[1])
    return out


def process_tree(root: int) -> list[int]:
    """root plus all its live descendants."""
    ppids = all_ppids()
    if root not in ppids:
        return []
    children: dict[int, list[int]] = {}
    for pid, ppid in ppids.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def tree_cpu_ticks(root: int) -> int:
    """utime+stime+cutime+cstime summed over root and its live descendants.

    Children that have exited and been reaped are included via their parent's
    cutime/cstime (e.g. Postfix smtpd processes that hit max_use are reaped by
    master), so a before/after delta accounts for every process of the tree."""
    total = 0
    for pid in process_tree(root):
        f = _stat_fields(pid)
        if f is not None:
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total


def ticks_to_ms(ticks: int) -> float:
    return ticks * 1000.0 / CLK_TCK


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def tree_memory_kb(root: int, pss: bool = True) -> tuple[int, int, int]:
    """(sum of VmRSS, sum of Pss, number of processes) over the tree, in KiB."""
    pids = process_tree(root)
    rss = sum(_rss_kb(p) for p in pids)
    p = sum(_pss_kb(x) for x in pids) if pss else 0
    return rss, p, len(pids)


class MemorySampler(threading.Thread):
    """Samples the summed VmRSS of a process tree every `interval` seconds (and its summed Pss,
    which does not double-count shared pages, every `pss_every` samples)."""

    def __init__(self, root: int, interval: float = 0.05, pss: bool = True, pss_every: int = 4):
        super().__init__(daemon=True)
        self.root, self.interval, self.pss, self.pss_every = root, interval, pss, pss_every
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
        self.samples = 0
        self._stop_evt = threading.Event()

    def sample(self, force_pss: bool = False) -> None:
        # Pss (smaps_rollup) costs more to read than VmRSS: sample it every pss_every-th time
        want_pss = self.pss and (force_pss or self.samples % self.pss_every == 0)
        rss, pss, n = tree_memory_kb(self.root, want_pss)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.peak_procs = max(self.peak_procs, n)
        self.samples += 1

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.sample()
            self._stop_evt.wait(self.interval)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join()
        self.sample(force_pss=True)


# --------------------------------------------------------------------------- Maildir counting

def count_maildir_new(user_dirs: list[Path]) -> int:
    n = 0
    for d in user_dirs:
        try:
            with os.scandir(d / "new") as it:
                for _ in it:
                    n += 1
        except FileNotFoundError:
            pass
    return n


# --------------------------------------------------------------------------- tsubame.toml editing

class TomlRaw(str):
    """A value set_toml_keys writes as it is: an array, e.g. TomlRaw('["127.0.0.1:5353"]')."""


def set_toml_keys(path: Path, section: str, values: dict[str, object]) -> None:
    """Set `key = value` lines inside [section] of a simple TOML file, keeping the rest.
    A key may be quoted (`'"bench.remote"'`, as in [delivery.routes]); TomlRaw values go in verbatim."""

    def fmt(v: object) -> str:
        if isinstance(v, TomlRaw):
            return str(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = path.read_text().splitlines() if path.exists() else []
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
    start = end = None
    for i, line in enumerate(lines):
        m = header.match(line)
        if m:
            if start is not None and end is None:
                end = i
            if m.group(1) == section:
                start = i
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"[{section}]")
        start, end = len(lines) - 1, len(lines)
    elif end is None:
        end = len(lines)
    remaining = dict(values)
    for i in range(start + 1, end):
        m = re.match(r"^\s*(\"[^\"]+\"|[A-Za-z0-9_\-]+)\s*=", lines[i])
        if m and m.group(1) in remaining:
            lines[i] = f"{m.group(1)} = {fmt(remaining.pop(m.group(1)))}"
    # insert missing keys right after the last non-blank line of the section
    insert_at = end
    while insert_at > start + 1 and not lines[insert_at - 1].strip():
        insert_at -= 1
    for k, v in remaining.items():
        lines.insert(insert_at, f"{k} = {fmt(v)}")
        insert_at += 1
    path.write_text("\n".join(lines) + "\n")


# --------------------------------------------------------------------------- Tsubame

def tsubame_bin() -> Path:
    return Path(os.environ.get("TSUBAME_BIN", REPO_ROOT / ".build/release/tsubame")).resolve()


def ensure_tsubame_built(build: bool) -> Path:
    b = tsubame_bin()
    if b.exists():
        return b
    if not build or "TSUBAME_BIN" in os.environ:
        raise SystemExit(f"tsubame binary not found at {b} (build it with `swift build -c release`, "
                         f"set TSUBAME_BIN, or pass --build)")
    log("building tsubame: swift build -c release")
    subprocess.run(["swift", "build", "-c", "release"], cwd=REPO_ROOT, check=True)
    if not b.exists():
        raise SystemExit(f"build finished but {b} is missing")
    return b


LISTEN_RE = re.compile(r"listening\s+smtp\s+(?:on\s+)?(?:\S*?):(\d+)")
# `listening <listener> 127.0.0.1:<port>` for any listener (smtp, pop3, ...)
LISTEN_ANY_RE = re.compile(r"listening\s+([a-z0-9]+)\s+(?:on\s+)?(?:\S*?):(\d+)")
GREETINGS = {"smtp": b"220", "submission": b"220", "pop3": b"+OK", "imap": b"* OK"}
# listeners that speak TLS from the first byte: readiness is a TCP connect, no greeting to read
IMPLICIT_TLS = {"pop3s", "submissions", "imaps"}


class Tsubame:
    """A private Tsubame instance: data folder under `workdir`, SMTP on 127.0.0.1:<ephemeral>.

    `protocols` names the listeners to start (`--listen NAME=127.0.0.1:0` each); `ports` maps
    them to the ports Tsubame reports, `port` is the SMTP one.  `limits` go to [smtp];
    `sections` sets keys in other tsubame.toml sections, e.g. {"pop3": {"max_connections": 2000}};
    `hostname` is `tsubame init --hostname` (default: the domain)."""

    def __init__(self, workdir: Path, binary: Path, users: int, domain: str = "bench.local",
                 limits: dict[str, object] | None = None, nofile: int = 4096,
                 protocols: tuple[str, ...] = ("smtp",),
                 sections: dict[str, dict[str, object]] | None = None,
                 hostname: str | None = None):
        self.workdir, self.bin, self.users, self.domain = workdir, binary, users, domain
        self.hostname = hostname or domain
        self.data = workdir / "tsubame-data"
        self.limits = limits if limits is not None else {"max_connections": 2000,
                                                         "max_connections_per_ip": 2000}
        self.sections = sections or {}
        self.protocols = tuple(protocols)
        self.nofile = nofile
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.ports: dict[str, int] = {}
        self.log_path = workdir / "tsubame.log"
        self._log_thread: threading.Thread | None = None

    def user_name(self, i: int) -> str:
        return f"user{i:03d}"

    def address(self, i: int) -> str:
        return f"{self.user_name(i)}@{self.domain}"

    @staticmethod
    def password(i: int) -> str:
        return f"bench-password-{i}"

    def mail_root(self) -> Path:
        """The Maildirs: mail_root()/<domain>/<user>/{cur,new,tmp}."""
        return self.data / "mail"

    def user_dirs(self) -> list[Path]:
        return [self.data / "mail" / self.domain / self.user_name(i) for i in range(1, self.users + 1)]

    def _run(self, args: list[str], stdin: str | None = None) -> None:
        r = subprocess.run([str(self.bin), *args], input=stdin, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError(f"tsubame {' '.join(args)} failed ({r.returncode}):\n{r.stdout}")

    def setup(self) -> None:
        t = time.monotonic()
        self._run(["init", "--data", str(self.data), "--hostname", self.hostname, "--domain", self.domain])
        for i in range(1, self.users + 1):
            self._run(["user", "add", self.address(i), "--data", str(self.data), "--password-stdin"],
                      stdin=f"{self.password(i)}\n")
        set_toml_keys(self.data / "tsubame.toml", "smtp", self.limits)
        # The bench machine has no DNS: SPF/DKIM/DMARC lookups would time out on every message
        # (Postfix as benchmarked checks none of them either). A bench may turn them back on.
        set_toml_keys(self.data / "tsubame.toml", "checks", {"enabled": False})
        for section, values in self.sections.items():
            set_toml_keys(self.data / "tsubame.toml", section, values)
        log(f"tsubame: data folder with {self.users} users ready in {time.monotonic() - t:.1f}s")

    def start(self, timeout: float = 30.0) -> int:
        nofile = self.nofile

        def preexec() -> None:
            raise_nofile(nofile)
            os.setpgrp()

        listen: list[str] = []
        for proto in self.protocols:
            listen += ["--listen", f"{proto}=127.0.0.1:0"]
        self.ports = {}
        self.proc = subprocess.Popen(
            [str(self.bin), "serve", "--data", str(self.data), *listen],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=preexec)
        found = threading.Event()
        wanted = set(self.protocols)

        def pump() -> None:
            assert self.proc and self.proc.stderr
            # append: a restarted instance keeps the earlier log
            with open(self.log_path, "ab") as out:
                for raw in self.proc.stderr:
                    out.write(raw)
                    if not found.is_set():
                        m = LISTEN_ANY_RE.search(raw.decode("utf-8", "replace"))
                        if m and m.group(1) in wanted:
                            self.ports[m.group(1)] = int(m.group(2))
                            if wanted <= self.ports.keys():
                                self.port = self.ports.get("smtp")
                                out.flush()
                                found.set()

        self._log_thread = threading.Thread(target=pump, daemon=True)
        self._log_thread.start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._log_thread.join(1)
                raise RuntimeError("tsubame serve did not report `listening "
                                   + "|".join(self.protocols) + " 127.0.0.1:PORT`:\n" + self.log_tail())
        for proto, port in self.ports.items():
            wait_for_port(port, banner=proto not in IMPLICIT_TLS, greeting=GREETINGS.get(proto, b"220"))
        return self.ports[self.protocols[0]]

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            log("tsubame did not stop on SIGTERM within 15s; SIGKILL")
            p.kill()
            p.wait()
        if self._log_thread:
            self._log_thread.join(2)


def set_aside(path: Path) -> None:
    """Moves `path` (if there) out of the way instead of removing it, into `.set-aside/` beside
    it, which goes with the script's temp dir at its end. On this VM's ext4 without a journal,
    removing thousands of files slows every file creation of the next minutes (see README.md):
    the benchmark that follows would pay for our cleanup."""
    if not path.exists():
        return
    aside = path.parent / ".set-aside"
    aside.mkdir(exist_ok=True)
    n = 0
    while (aside / f"{path.name}-{n}").exists():
        n += 1
    path.rename(aside / f"{path.name}-{n}")


def rmtree_quiet(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
