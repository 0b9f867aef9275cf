#!/usr/bin/env python3
"""Parses Authentication-Results fields with PyPI authres, for AuthenticationResultsTests.

Reads a JSON list of whole fields ("Authentication-Results: ...\\n") on stdin; writes a JSON
list with, for each, {"id": authserv-id, "results": [{"method", "result", "reason",
"properties": [[type, name, value], ...]}]} or {"error": message} when it does not parse.
"""
import json
import sys

import authres


def main():
    answers = []
    for field in json.load(sys.stdin):
        try:
            header = authres.AuthenticationResultsHeader.parse(field)
        except Exception as error:  # report, so the test names the field that failed
            answers.append({"error": str(error)})
            continue
        answers.append({
            "id": header.authserv_id,
            "results": [{
                "method": result.method,
                "result": result.result,
                "reason": result.reason,
                "properties": [[prop.type, prop.name, prop.value] for prop in result.properties],
            } for result in header.results],
        })
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
