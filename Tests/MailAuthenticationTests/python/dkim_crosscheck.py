#!/usr/bin/env python3
"""dkimpy (PyPI "dkim") as the independent DKIM implementation for DKIMCrossCheckTests.

One process per batch: a JSON request on stdin, a JSON answer on stdout. Messages travel
base64-encoded, in CRLF form (what dkimpy works on).

  {"mode": "verify", "records": {"sel._domainkey.example.com": "v=DKIM1; ..."},
   "messages": ["<b64>", ...]}
      -> {"results": [true, false, ...]}        dkim.verify on each (its first signature)

  {"mode": "sign", "items": [{"message": "<b64>", "selector": "s", "domain": "d",
      "key": "<PEM, or base64 Ed25519 seed>", "algorithm": "rsa-sha256" | "ed25519-sha256",
      "canonicalization": "relaxed/relaxed", "length": false}, ...]}
      -> {"fields": ["<b64 of the DKIM-Signature field, CRLF, final CRLF included>", ...]}
"""
import base64
import json
import sys

import dkim


def verify(request):
    records = {name.rstrip(".").lower(): value.encode() for name, value in request["records"].items()}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.rstrip(".").lower())

    results = []
    for encoded in request["messages"]:
        message = base64.b64decode(encoded)
        try:
            results.append(bool(dkim.verify(message, dnsfunc=dnsfunc)))
        except Exception:  # a dkimpy exception is a failed verification too
            results.append(False)
    return {"results": results}


def sign(request):
    fields = []
    for item in request["items"]:
        header, body = item["canonicalization"].split("/")
        field = dkim.sign(
            base64.b64decode(item["message"]),
            item["selector"].encode(),
            item["domain"].encode(),
            item["key"].encode(),
            canonicalize=(header.encode(), body.encode()),
            signature_algorithm=item["algorithm"].encode(),
            length=item["length"],
        )
        fields.append(base64.b64encode(field).decode())
    return {"fields": fields}


def main():
    request = json.load(sys.stdin)
    answer = verify(request) if request["mode"] == "verify" else sign(request)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
