"""Bounded client load through the floating IP, run on the lab's provider host (python3, stdlib only).

    python3 load.py URL STOP_FILE OUT_JSON [RATE] [MAX_SECONDS]

Two client threads share RATE requests per second (default 8): one in four is an upload (a small PNG
made here, each one different), the others GET a stored original or one of its sizes. Every request
has a 5 s timeout; a connection error, a timeout or any 5xx counts as failed (a 404 of a size that is
not generated yet does not). It runs until STOP_FILE exists (or MAX_SECONDS, default 900), then checks
that every upload the service accepted (201) has its four sizes within 120 s, and writes one JSON
object to OUT_JSON: total, failed, failures (first 20), longest_gap_s (the longest time without a
successful request), accepted uploads, lost uploads.
"""

import http.client
import json
import os
import random
import struct
import sys
import threading
import time
import urllib.parse
import zlib

SIZES = ("big", "medium", "small", "tiny")


def png(width: int, height: int, seed: int) -> bytes:
    """A valid RGB PNG whose pixels depend on seed, so no two uploads are alike."""
    rng = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(rng.getrandbits(8) for _ in range(width * 3)) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Client:
    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body) or (None, error text). A new connection each time: a failover shows at once."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            conn.close()

    def upload(self, data: bytes):
        boundary = "imgrlab" + os.urandom(8).hex()
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lab.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", "/image", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


def main() -> None:
    url, stop_file, out_json = sys.argv[1:4]
    rate = float(sys.argv[4]) if len(sys.argv) > 4 else 8.0
    max_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 900.0
    client = Client(url)
    lock = threading.Lock()
    stored: list[str] = []
    state = {"total": 0, "failed": 0, "failures": [], "last_ok": None, "longest_gap_s": 0.0, "seed": 0}
    start = time.monotonic()

    def record(ok: bool, what: str) -> None:
        now = time.monotonic()
        with lock:
            state["total"] += 1
            if ok:
                if state["last_ok"] is not None:
                    state["longest_gap_s"] = max(state["longest_gap_s"], now - state["last_ok"])
                state["last_ok"] = now
            else:
                state["failed"] += 1
                if len(state["failures"]) < 20:
                    state["failures"].append({"t": round(now - start, 2), "what": what[:200]})

    def one_request() -> None:
        with lock:
            state["seed"] += 1
            seed = state["seed"]
            known = list(stored)
        if seed % 4 == 0 or not known:
            status, body = client.upload(png(48, 32, seed))
            ok = status == 201
            if ok:
                with lock:
                    stored.append(json.loads(body)["id"])
            record(ok, f"POST /image {status} {body[:120]!r}")
        else:
            image_id = random.choice(known)
            path = f"/image/{image_id}" + random.choice(("", "", "/small", "/tiny"))
            status, body = client.request("GET", path)
            record(status is not None and status < 500 and status != 429, f"GET {path} {status} {body[:120]!r}")

    def run() -> None:
        interval = 2.0 / rate
        next_at = time.monotonic()
        while not os.path.exists(stop_file) and time.monotonic() - start < max_seconds:
            one_request()
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load_seconds = time.monotonic() - start

    # Every accepted upload must end with its four sizes (the queue keeps the tasks across failures).
    missing = set(stored)
    deadline = time.monotonic() + 120
    while missing and time.monotonic() < deadline:
        for image_id in sorted(missing):
            if all(client.request("GET", f"/image/{image_id}/{size}")[0] == 200 for size in SIZES):
                missing.discard(image_id)
        if missing:
            time.sleep(2)
    result = {
        "seconds": round(load_seconds, 1),
        "rate": rate,
        "total": state["total"],
        "failed": state["failed"],
        "failures": state["failures"],
        "longest_gap_s": round(state["longest_gap_s"], 2),
        "uploads_accepted": len(stored),
        "uploads_lost": len(missing),
        "uploads_lost_ids": sorted(missing)[:20],
    }
    with open(out_json, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
