#!/usr/bin/env python3
"""A fake recursive resolver for the DNSClient transport tests, built on PyPI dnslib.

Listens on 127.0.0.1, UDP and TCP on the same free port, prints "PORT <n>" on stdout once
ready, and answers from the fixed zone below until stdin closes (the test ends it).
An optional argument names a zone file (master format, absolute names) whose records are
added to the zone: the OutboundDeliveryTests route tests bring their own. A CNAME in the zone
is followed (the chain goes in the answer, as a recursive resolver gives it) when the asked
type is not listed for the name itself.
Special names:
  big.test        over UDP: TC=1 and no records; over TCP: 40 TXT records (RFC 7766 §5)
  servfail.test   SERVFAIL          refused.test   REFUSED
  servfail.*      SERVFAIL, any name whose first label is "servfail"
  servfail-aaaa.* SERVFAIL for AAAA only; other types from the zone
  missing.test    NXDOMAIN with an SOA (negative TTL: min(SOA TTL 600, MINIMUM 120) = 120)
  signed.test     A record with AD=1
  spoof.test      first a reply with a wrong ID, then one for another name, then the answer
  silent.test     never answered
  badtcp.test     over UDP TC=1; over TCP a reply cut in the middle of a record
"""
import socket
import struct
import sys
import threading

from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SOA, TXT, A, DNSRecord, DNSLabel

SOA_RECORD = RR("test.", QTYPE.SOA, ttl=600,
                rdata=SOA("ns.test.", "hostmaster.test.", (1, 3600, 600, 86400, 120)))

ZONE = {
    ("mx.test.", "MX"): [RR("mx.test.", QTYPE.MX, ttl=300, rdata=MX("mail1.mx.test.", 10)),
                         RR("mx.test.", QTYPE.MX, ttl=200, rdata=MX("mail2.mx.test.", 20))],
    ("mail1.mx.test.", "A"): [RR("mail1.mx.test.", QTYPE.A, ttl=300, rdata=A("192.0.2.1"))],
    ("nomx.test.", "A"): [RR("nomx.test.", QTYPE.A, ttl=300, rdata=A("192.0.2.2"))],
    ("nomx.test.", "AAAA"): [RR("nomx.test.", QTYPE.AAAA, ttl=300, rdata=AAAA("2001:db8::2"))],
    ("nullmx.test.", "MX"): [RR("nullmx.test.", QTYPE.MX, ttl=300, rdata=MX(".", 0))],
    ("alias.test.", "MX"): [RR("alias.test.", QTYPE.CNAME, ttl=100, rdata=CNAME("target.test.")),
                            RR("target.test.", QTYPE.MX, ttl=300, rdata=MX("mail1.mx.test.", 5))],
    ("signed.test.", "A"): [RR("signed.test.", QTYPE.A, ttl=300, rdata=A("192.0.2.3"))],
    ("spoof.test.", "A"): [RR("spoof.test.", QTYPE.A, ttl=300, rdata=A("192.0.2.4"))],
    ("big.test.", "TXT"): [RR("big.test.", QTYPE.TXT, ttl=300, rdata=TXT("record %02d " % i + "x" * 40))
                           for i in range(40)],
    ("badtcp.test.", "TXT"): [RR("badtcp.test.", QTYPE.TXT, ttl=300, rdata=TXT("never whole"))],
}


def load_zone(path):
    """Adds a zone file's records to ZONE (RR.fromZone parses master format)."""
    with open(path) as handle:
        for record in RR.fromZone(handle.read()):
            key = (str(record.rname).lower(), QTYPE[record.rtype])
            ZONE.setdefault(key, []).append(record)


if len(sys.argv) > 1:
    load_zone(sys.argv[1])
EXISTING = {name for name, _ in ZONE}


def lookup(name, qtype):
    """The answer records for (name, qtype), following CNAMEs inside the zone; None if none."""
    records = ZONE.get((name, qtype))
    if records is not None:
        return records
    chain = []
    for _ in range(8):
        alias = ZONE.get((name, "CNAME"))
        if not alias or qtype == "CNAME":
            break
        chain += alias
        name = str(alias[0].rdata.label).lower()
        found = ZONE.get((name, qtype))
        if found is not None:
            return chain + found
    return chain or None


def answer(data, over_tcp):
    """The reply packets (bytes) to send for one query, in order."""
    request = DNSRecord.parse(data)
    name = str(request.q.qname).lower()
    qtype = QTYPE[request.q.qtype]
    reply = request.reply()  # QR=1, RA=1, the question echoed; dnslib copies the other flags
    reply.header.ad = 0  # set below only for signed.test (our query's AD=1 must not come back)
    if name == "silent.test.":
        return []
    first_label = name.split(".")[0]
    if first_label == "servfail" or (first_label == "servfail-aaaa" and qtype == "AAAA"):
        reply.header.rcode = RCODE.SERVFAIL
        return [reply.pack()]
    if name == "refused.test.":
        reply.header.rcode = RCODE.REFUSED
        return [reply.pack()]
    if name in ("big.test.", "badtcp.test.") and not over_tcp:
        reply.header.tc = 1
        return [reply.pack()]
    records = lookup(name, qtype)
    if records is None or all(QTYPE[record.rtype] == "CNAME" for record in records):
        # The names of CNAME chains are looked up by the chain's owner.
        if name not in EXISTING:
            reply.header.rcode = RCODE.NXDOMAIN
        for record in records or []:
            reply.add_answer(record)  # a chain ending in no data (RFC 2308 §2.2)
        reply.add_auth(SOA_RECORD)
        return [reply.pack()]
    for record in records:
        reply.add_answer(record)
    if name == "signed.test.":
        reply.header.ad = 1
    packed = reply.pack()
    if name == "badtcp.test.":
        return [packed[:len(packed) - 5]]
    if name == "spoof.test.":
        wrong_id = request.reply()
        wrong_id.header.id = (request.header.id + 1) % 65536
        wrong_id.header.ad = 0
        wrong_id.add_answer(RR("spoof.test.", QTYPE.A, ttl=300, rdata=A("203.0.113.1")))
        other_name = request.reply()
        other_name.header.ad = 0
        other_name.q.qname = DNSLabel("other.test.")
        other_name.add_answer(RR("other.test.", QTYPE.A, ttl=300, rdata=A("203.0.113.66")))
        return [wrong_id.pack(), other_name.pack(), packed]
    return [packed]


def serve_udp(sock):
    while True:
        data, peer = sock.recvfrom(65535)
        try:
            for packet in answer(data, over_tcp=False):
                sock.sendto(packet, peer)
        except Exception as error:  # a test sends only valid queries; say so if not
            print("udp error:", error, file=sys.stderr)


def read_exact(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp_connection(conn):
    with conn:
        while True:
            header = read_exact(conn, 2)
            if header is None:
                return
            data = read_exact(conn, struct.unpack("!H", header)[0])
            if data is None:
                return
            for packet in answer(data, over_tcp=True):
                conn.sendall(struct.pack("!H", len(packet)) + packet)


def serve_tcp(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_connection, args=(conn,), daemon=True).start()


def bind_pair():
    """A UDP and a TCP socket on the same free port."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp, port
    raise SystemExit("no free port for UDP and TCP together")


def main():
    udp, tcp, port = bind_pair()
    threading.Thread(target=serve_udp, args=(udp,), daemon=True).start()
    threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
    print("PORT", port, flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)


if __name__ == "__main__":
    main()
