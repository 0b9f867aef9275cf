/// The zone the route tests resolve against (fake_dns_server.py adds it to its own).
/// `servfail.*` names answer SERVFAIL, `servfail-aaaa.*` names SERVFAIL for AAAA only, and a
/// name missing here is NXDOMAIN.
enum RouteZone {
    static let text = """
    ordered.route.test. 300 IN MX 20 mx-b.route.test.
    ordered.route.test. 300 IN MX 10 mx-a.route.test.
    ordered.route.test. 300 IN MX 30 mx-c.route.test.
    mx-a.route.test. 300 IN A 192.0.2.10
    mx-b.route.test. 300 IN A 192.0.2.20
    mx-c.route.test. 300 IN A 192.0.2.30

    equal.route.test. 300 IN MX 10 e1.route.test.
    equal.route.test. 300 IN MX 10 e2.route.test.
    equal.route.test. 300 IN MX 10 e3.route.test.
    equal.route.test. 300 IN MX 20 e4.route.test.
    equal.route.test. 300 IN MX 20 e5.route.test.
    e1.route.test. 300 IN A 192.0.2.1
    e2.route.test. 300 IN A 192.0.2.2
    e3.route.test. 300 IN A 192.0.2.3
    e4.route.test. 300 IN A 192.0.2.4
    e5.route.test. 300 IN A 192.0.2.5

    implicit.route.test. 300 IN A 192.0.2.40
    implicit.route.test. 300 IN AAAA 2001:db8::40
    textonly.route.test. 300 IN TXT "no mail here"
    nullmx.route.test. 300 IN MX 0 .
    mixednull.route.test. 300 IN MX 0 .
    mixednull.route.test. 300 IN MX 10 mx-a.route.test.

    cname.route.test. 300 IN MX 10 alias-mx.route.test.
    alias-mx.route.test. 300 IN CNAME real-mx.route.test.
    real-mx.route.test. 300 IN A 192.0.2.50

    dual.route.test. 300 IN MX 10 dual-mx.route.test.
    dual-mx.route.test. 300 IN AAAA 2001:db8::60
    dual-mx.route.test. 300 IN A 192.0.2.60
    v6only.route.test. 300 IN MX 10 v6-mx.route.test.
    v6-mx.route.test. 300 IN AAAA 2001:db8::70

    partial.route.test. 300 IN MX 10 servfail.partial.route.test.
    partial.route.test. 300 IN MX 20 mx-b.route.test.
    allfail.route.test. 300 IN MX 10 servfail.allfail.route.test.
    allfail.route.test. 300 IN MX 20 nowhere.route.test.
    noaddress.route.test. 300 IN MX 10 nowhere.route.test.
    noaddress.route.test. 300 IN MX 20 textonly.route.test.
    halfbroken.route.test. 300 IN MX 10 servfail-aaaa.route.test.
    servfail-aaaa.route.test. 300 IN A 192.0.2.80

    loopbest.route.test. 300 IN MX 10 self-mx.route.test.
    loopbest.route.test. 300 IN MX 20 mx-a.route.test.
    loopbackup.route.test. 300 IN MX 10 mx-a.route.test.
    loopbackup.route.test. 300 IN MX 20 self-mx.route.test.
    loopbackup.route.test. 300 IN MX 20 mx-b.route.test.
    loopbackup.route.test. 300 IN MX 30 mx-c.route.test.
    brokenprimary.route.test. 300 IN MX 10 nowhere.route.test.
    brokenprimary.route.test. 300 IN MX 20 self-mx.route.test.
    self-mx.route.test. 300 IN A 127.0.0.1
    loopaddr.route.test. 300 IN MX 10 local-mx.route.test.
    local-mx.route.test. 300 IN A 127.0.0.1
    local-mx.route.test. 300 IN AAAA ::1
    selfimplicit.route.test. 300 IN A 127.0.0.1

    many.route.test. 300 IN MX 10 m1.route.test.
    many.route.test. 300 IN MX 20 m2.route.test.
    many.route.test. 300 IN MX 30 m3.route.test.
    many.route.test. 300 IN MX 40 m4.route.test.
    many.route.test. 300 IN MX 50 m5.route.test.
    many.route.test. 300 IN MX 60 m6.route.test.
    many.route.test. 300 IN MX 70 m7.route.test.
    m1.route.test. 300 IN A 198.51.100.1
    m2.route.test. 300 IN A 198.51.100.2
    m3.route.test. 300 IN A 198.51.100.3
    m4.route.test. 300 IN A 198.51.100.4
    m5.route.test. 300 IN A 198.51.100.5
    m6.route.test. 300 IN A 198.51.100.6
    m7.route.test. 300 IN A 198.51.100.7

    relay.route.test. 300 IN A 192.0.2.90
    relay.route.test. 300 IN AAAA 2001:db8::90
    relay-mx-only.route.test. 300 IN MX 10 mx-a.route.test.
    """
}
