"""Check that the Channels echo consumer works on the same port as HTTP.

Usage: python wsclient.py PORT  -> prints one JSON line.
Opens 4 websocket connections at once, sends 200 messages on each (text and
binary), checks every echo, and while those are open does plain HTTP GETs of
/hello and /item/1 on the same port.
"""

import asyncio
import json
import sys
import time
import urllib.request

import websockets

PORT = int(sys.argv[1])
WS_URL = f"ws://127.0.0.1:{PORT}/ws/echo"
N_CONN, N_MSG = 4, 200


async def one_conn(i):
    rtts = []
    async with websockets.connect(WS_URL, origin=f"http://127.0.0.1:{PORT}", open_timeout=10) as ws:
        for j in range(N_MSG):
            payload = f"conn{i}-msg{j}-ñ" if j % 2 == 0 else f"conn{i}-{j}".encode()
            t0 = time.perf_counter()
            await ws.send(payload)
            echo = await asyncio.wait_for(ws.recv(), 10)
            rtts.append(time.perf_counter() - t0)
            if echo != payload:
                raise AssertionError(f"bad echo {echo!r} != {payload!r}")
    return rtts


def http_get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=10) as r:
        return r.status, json.loads(r.read())


async def main():
    out = {"port": PORT, "ok": False}
    t0 = time.perf_counter()
    try:
        tasks = [asyncio.create_task(one_conn(i)) for i in range(N_CONN)]
        # HTTP on the same port while the websockets are busy.
        http = await asyncio.gather(
            asyncio.to_thread(http_get, "/hello"), asyncio.to_thread(http_get, "/item/1")
        )
        results = await asyncio.gather(*tasks)
        rtts = sorted(x for r in results for x in r)
        out.update(
            ok=all(s == 200 for s, _ in http) and len(rtts) == N_CONN * N_MSG,
            http=[s for s, _ in http],
            messages=len(rtts),
            seconds=round(time.perf_counter() - t0, 3),
            rtt_p50_ms=round(rtts[len(rtts) // 2] * 1000, 2),
            rtt_p99_ms=round(rtts[int(len(rtts) * 0.99)] * 1000, 2),
        )
    except Exception as exc:  # report, do not crash the suite
        out["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(out))


asyncio.run(main())
