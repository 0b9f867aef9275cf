"""SRS cross-check: the Python `SRS` module (PyPI pysrs, its default Guarded scheme, as libsrs2
and postsrsd) forwards and reverses the addresses SRSTests gives it.

stdin: {"secret": str, "domain": str, "now": seconds since 1970, "max_age": days,
        "forward": [address, ...], "reverse": [address, ...]}
stdout: {"forward": [address, ...], "reverse": [{"address": a} | {"error": text}, ...]}
"""

import base64
import json
import sys
import time

# pysrs 1.0.4 still calls base64.encodestring, which Python 3.9 removed; encodebytes is the
# same function under its new name.
if not hasattr(base64, "encodestring"):
    base64.encodestring = base64.encodebytes

import SRS  # noqa: E402


def main():
    request = json.load(sys.stdin)
    now = float(request["now"])
    time.time = lambda: now   # pysrs reads the clock for the timestamp and its age check
    srs = SRS.new(secret=request["secret"], maxage=int(request["max_age"]))
    alias = "postmaster@" + request["domain"]
    forwarded = [srs.forward(address, alias) for address in request["forward"]]
    reversed_ = []
    for address in request["reverse"]:
        try:
            reversed_.append({"address": srs.reverse(address)})
        except Exception as error:  # noqa: BLE001 - pysrs signals a bad address with assert/ValueError
            reversed_.append({"error": f"{type(error).__name__}: {error}"})
    json.dump({"forward": forwarded, "reverse": reversed_}, sys.stdout)


if __name__ == "__main__":
    main()
