#!/usr/bin/env python3
"""Runs pyspf (PyPI "pyspf", module spf) on a table of SPF checks, for SPFCrossCheckTests.

Reads one JSON object on stdin: {"port": N, "cases": [{"i": ip, "s": sender, "h": helo}, ...]}
and writes one JSON list on stdout: [{"result": ..., "explanation": ...}, ...] in case order.
DNS goes through dnspython to the fake DNS server on 127.0.0.1:N (the test's zone), which
pyspf's dnspython backend uses through dnspython's default resolver.
"""
import json
import sys

import dns.resolver
import spf


def main():
    request = json.load(sys.stdin)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = request["port"]
    resolver.timeout = 2
    resolver.lifetime = 4
    dns.resolver.default_resolver = resolver
    answers = []
    for case in request["cases"]:
        result, explanation = spf.check2(i=case["i"], s=case["s"], h=case["h"], receiver="mx.tsubame.test")
        answers.append({"result": result, "explanation": explanation})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
