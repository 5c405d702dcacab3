"""Check that request bodies reach Django intact (POST /upload) and that a
streaming response (GET /stream) comes back whole.

Usage: python postcheck.py PORT  -> prints one JSON line.
Sends bodies of 0 B, 1 KiB and 2 MiB (the last one is larger than the one-hop
bridge's in-memory spool, and below Django's DATA_UPLOAD_MAX_MEMORY_SIZE) and
compares length and sha256 with what the view saw.
"""

import hashlib
import json
import os
import sys
import urllib.request

PORT = int(sys.argv[1])


def post(body):
    req = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/upload",
        data=body,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(req, timeout=20) as r:  # noqa: S310 (loopback only)
        return r.status, json.loads(r.read())


out = {"port": PORT, "ok": True, "cases": []}
for size in (0, 1024, 2 * 1024 * 1024):
    body = os.urandom(size)
    try:
        status, got = post(body)
        good = (
            status == 200
            and got["length"] == size
            and got["sha256"] == hashlib.sha256(body).hexdigest()
        )
        out["cases"].append({"size": size, "status": status, "ok": good})
    except Exception as exc:
        good = False
        out["cases"].append({"size": size, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
    out["ok"] = out["ok"] and good
# streaming response (Django StreamingHttpResponse) comes through complete and in order
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/stream", timeout=20) as r:  # noqa: S310
        data = r.read()
    want = b"".join(b"%03d" % i + b"." * 10237 for i in range(100))
    good = data == want
    out["cases"].append({"stream": len(data), "ok": good})
except Exception as exc:
    good = False
    out["cases"].append({"stream": None, "ok": False, "error": f"{type(exc).__name__}: {exc}"})
out["ok"] = out["ok"] and good
print(json.dumps(out))
