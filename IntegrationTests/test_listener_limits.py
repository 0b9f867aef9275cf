"""Each listener counts its own connections: a flood on one port leaves the
others usable ([smtp]/[pop3] limits are each listener's default, [limits.NAME]
overrides them)."""

import poplib
import ssl

import pytest

from conftest import SMTPClient, ConnectionClosed, POP3Client


def _pop3s(server, datadir):
    context = ssl.create_default_context(cafile=str(datadir.path / "tls" / "ca.pem"))
    return poplib.POP3_SSL("127.0.0.1", server.pop3s_port, context=context, timeout=30)


def _refused_smtp(port):
    try:
        c = SMTPClient(port)
    except ConnectionClosed:
        pytest.fail("connection closed without a 421 greeting")
    assert (c.greeting.code, c.greeting.enhanced) == (421, "4.7.0"), c.greeting
    assert c.is_closed()
    c.close()


@pytest.mark.smtp_config(max_connections=3, max_connections_per_ip=50)
def test_full_smtp_listener_leaves_submission_and_pop3_usable(pop3_server):
    flood = [pop3_server.connect() for _ in range(3)]
    assert [c.greeting.code for c in flood] == [220] * 3
    assert all(c.cmd("NOOP").code == 250 for c in flood)
    _refused_smtp(pop3_server.port)
    # submission has its own 3 slots (its default is [smtp]'s value, counted apart)
    submission = [SMTPClient(pop3_server.submission_port) for _ in range(3)]
    assert [c.greeting.code for c in submission] == [220] * 3, [c.greeting for c in submission]
    assert all(c.ehlo().code == 250 for c in submission)
    _refused_smtp(pop3_server.submission_port)
    p = pop3_server.pop3()
    assert p.greeting.startswith("+OK"), p.greeting
    assert p.capa(), "no CAPA answer"
    for c in flood + submission:
        c.close()
    p.close()


@pytest.mark.limits_config("submission", max_connections=1)
@pytest.mark.pop3_config(max_connections=2)
def test_listener_limits_override_their_protocol(pop3_server, datadir):
    """[limits.submission] max_connections = 1 limits submission only; smtp keeps
    [smtp]'s default, and pop3 and pop3s each get [pop3]'s 2."""
    first = SMTPClient(pop3_server.submission_port)
    assert first.greeting.code == 220, first.greeting
    _refused_smtp(pop3_server.submission_port)
    smtp = [pop3_server.connect() for _ in range(3)]
    assert [c.greeting.code for c in smtp] == [220] * 3
    pop3 = [pop3_server.pop3() for _ in range(2)]
    refused = POP3Client(pop3_server.pop3_port)
    assert refused.greeting.startswith("-ERR [SYS/TEMP]"), refused.greeting
    refused.close()
    # pop3s counts apart from pop3: two more sessions there
    secure = [_pop3s(pop3_server, datadir) for _ in range(2)]
    assert all(s.getwelcome().startswith(b"+OK") for s in secure), [s.getwelcome() for s in secure]
    for s in secure:
        s.quit()
    for c in [first] + smtp + pop3:
        c.close()
