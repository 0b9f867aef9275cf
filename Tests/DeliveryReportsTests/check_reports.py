"""Checks delivery status notifications with Python's own MIME parser (the `email` package),
independently of the Swift code that wrote them.

Usage: check_reports.py FOLDER. For every NAME.eml in FOLDER, NAME.json holds what to expect:
{"status_type": ..., "returned_type": ..., "recipients": [{"final-recipient": ..., "action": ...,
"status": ..., "diagnostic-code": ...}]}; the value "<absent>" means the field must be missing. Exits non-zero, naming the file, at the first failure.
"""
import email
import email.policy
import json
import pathlib
import sys


def blocks_of(part):
    """The per-message and per-recipient field blocks of a delivery-status part (RFC 3464 §2.1)."""
    if part.get_content_type() == "message/delivery-status":
        # The stdlib parses this type itself: one Message per block.
        return list(part.get_payload())
    # message/global-delivery-status (RFC 6533) is parsed as one message: its header is the
    # per-message block and its body holds the recipient blocks.
    inner = part.get_payload(0)
    body = inner.get_payload(decode=True).decode("utf-8")
    rest = [b for b in body.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [inner] + [email.message_from_string(b + "\n", policy=email.policy.default) for b in rest]


def check(eml, expected):
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert not msg.defects, f"message defects: {msg.defects}"
    assert msg.is_multipart(), "not multipart"
    assert msg.get_content_type() == "multipart/report", msg.get_content_type()
    assert msg.get_param("report-type") == "delivery-status", msg.get_param("report-type")
    assert msg["Auto-Submitted"] == "auto-replied"
    assert str(msg["From"]) == "Mail Delivery System <MAILER-DAEMON@mx.tsubame.test>", str(msg["From"])
    parts = msg.get_payload()
    assert len(parts) == 3, f"{len(parts)} parts"
    text, status, returned = parts
    assert text.get_content_type() == "text/plain", text.get_content_type()
    assert "recipients" in text.get_content(), "explanation lacks its text"
    assert status.get_content_type() == expected["status_type"], status.get_content_type()
    blocks = blocks_of(status)
    assert blocks[0]["Reporting-MTA"] == "dns; mx.tsubame.test", blocks[0]["Reporting-MTA"]
    assert blocks[0]["Arrival-Date"] is not None
    recipients = blocks[1:]
    assert len(recipients) == len(expected["recipients"]), f"{len(recipients)} recipient blocks"
    for block, want in zip(recipients, expected["recipients"]):
        for name, value in want.items():
            got = block[name]
            if value == "<absent>":
                assert got is None, f"{name} present: {got!r}"
                continue
            got = " ".join(str(got).split()) if got is not None else None
            assert got == value, f"{name}: {got!r} != {value!r}"
    assert returned.get_content_type() == expected["returned_type"], returned.get_content_type()
    if returned.get_content_maintype() == "message":
        inner = returned.get_payload(0)
        assert inner["Subject"] is not None, "returned message has no Subject"
    else:
        assert "Subject:" in returned.get_content(), "returned header has no Subject"


def main():
    folder = pathlib.Path(sys.argv[1])
    files = sorted(folder.glob("*.eml"))
    assert files, "no reports to check"
    for eml in files:
        expected = json.loads(eml.with_suffix(".json").read_text())
        try:
            check(eml, expected)
        except AssertionError as error:
            print(f"{eml.name}: {error}")
            sys.exit(1)
    print(f"checked {len(files)} reports")


main()
