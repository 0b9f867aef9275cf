"""A scripted SMTP peer for the client tests (PyPI aiosmtpd, plus raw asyncio for misbehaviour).

    python3 smtp_peer.py MODE RECORD_FILE [CERT KEY]

Listens on 127.0.0.1, a free port, printed first as "PORT n". Everything it sees goes to
RECORD_FILE as JSON lines (connections, RSET, AUTH, and each message with its exact DATA
bytes, base64). It runs until its stdin closes, so it ends with the test process.

Modes:
  accept        take everything
  mixed         (PIPELINING) RCPT: local part "defer*" -> 450, "reject*" -> 550, else 250
  reject-data   (PIPELINING) 552 to the final dot
  greet421      "421" as the greeting, then close (raw)
  starttls      STARTTLS with CERT/KEY; plaintext allowed too
  old-tls       STARTTLS offered, but the server speaks only TLS 1.0/1.1: every handshake
                with a TLS 1.2+ client fails; plaintext delivery works
  silent        accept the connection, never say a word (raw)
  inject        STARTTLS answered with "220 go ahead\\r\\n250 injected\\r\\n" in one write (raw)
  implicit-plain, implicit-login
                TLS from the first byte with CERT/KEY; AUTH PLAIN (resp. LOGIN only),
                auth_require_tls; user "sender", password "s3cret pass"
"""

import asyncio
import base64
import json
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

MODE = sys.argv[1]
RECORD = open(sys.argv[2], "a", buffering=1)
CERT = sys.argv[3] if len(sys.argv) > 3 else None
KEY = sys.argv[4] if len(sys.argv) > 4 else None
USER, PASSWORD = b"sender", b"s3cret pass"

connections = {}
PIPELINING_MODES = ("mixed", "reject-data")


def record(**fields):
    RECORD.write(json.dumps(fields) + "\n")
    RECORD.flush()


def connection_id(server):
    if id(server) not in connections:
        connections[id(server)] = len(connections) + 1
        record(event="connect", conn=connections[id(server)])
    return connections[id(server)]


class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        connection_id(server)
        session.host_name = hostname
        if MODE in PIPELINING_MODES:
            # aiosmtpd reads one command at a time anyway; announcing it makes the client
            # send MAIL, RCPT and DATA in one flight (RFC 2920).
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RSET(self, server, session, envelope):
        record(event="rset", conn=connection_id(server))
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if MODE == "mixed" and local.startswith("defer"):
            return "450 4.2.1 try later"
        if MODE == "mixed" and local.startswith("reject"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record(event="message", conn=connection_id(server), mail_from=envelope.mail_from,
               mail_options=envelope.mail_options, rcpt_tos=envelope.rcpt_tos,
               data=base64.b64encode(envelope.original_content).decode(),
               tls=session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None)
        if MODE == "reject-data":
            return "552 5.3.4 message too big for this test"
        return "250 2.0.0 queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD
    record(event="auth", conn=connection_id(server), mechanism=mechanism,
           user=auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None, ok=ok)
    return AuthResult(success=ok, handled=False)  # handled=True would mean "reply already sent"


class ImplicitTLSSMTP(SMTP):
    """aiosmtpd counts only STARTTLS as TLS; on a TLS listener the connection is TLS from the
    start, so AUTH (auth_require_tls) must be allowed and STARTTLS not offered."""

    def connection_made(self, transport):
        super().connection_made(transport)
        if transport.get_extra_info("sslcontext") is not None:
            self._tls_protocol = True


def server_context(maximum=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    if maximum is not None:
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


async def raw_greet421(reader, writer):
    record(event="connect", conn=0)
    writer.write(b"421 4.3.2 too busy, try later\r\n")
    await writer.drain()
    writer.close()


async def raw_silent(reader, writer):
    record(event="connect", conn=0)
    await reader.read()  # until the client gives up
    writer.close()


async def raw_inject(reader, writer):
    record(event="connect", conn=0)
    writer.write(b"220 inject.test ESMTP\r\n")
    while True:
        line = await reader.readline()
        if not line:
            break
        record(event="line", line=line.decode(errors="replace").rstrip("\r\n"))
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-inject.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        elif verb == b"STAR":
            # The injection: a reply smuggled behind the 220, in the same segment.
            writer.write(b"220 go ahead\r\n250 injected\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 OK\r\n")
        await writer.drain()
    writer.close()


async def main():
    loop = asyncio.get_running_loop()
    handler = Handler()
    if MODE == "greet421":
        server = await asyncio.start_server(raw_greet421, "127.0.0.1", 0)
    elif MODE == "silent":
        server = await asyncio.start_server(raw_silent, "127.0.0.1", 0)
    elif MODE == "inject":
        server = await asyncio.start_server(raw_inject, "127.0.0.1", 0)
    elif MODE in ("implicit-plain", "implicit-login"):
        exclude = ["PLAIN"] if MODE == "implicit-login" else ["LOGIN"]
        server = await loop.create_server(
            lambda: ImplicitTLSSMTP(handler, hostname="implicit.test", authenticator=authenticator,
                                    auth_require_tls=True, auth_exclude_mechanism=exclude, auth_required=True),
            "127.0.0.1", 0, ssl=server_context())
    else:
        tls = None
        if MODE == "starttls":
            tls = server_context()
        elif MODE == "old-tls":
            tls = server_context(maximum=ssl.TLSVersion.TLSv1_1)
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="peer.test", tls_context=tls, enable_SMTPUTF8=True),
            "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    # Until the test closes stdin (or exits).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


asyncio.run(main())
