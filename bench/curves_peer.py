"""pyzmq's side of `deno task bench:curves`, in the style of pyzmq's perf/:
plain blocking sockets, no event loop. The ZMQStream (tornado) receiver is
bench/peer.py's pull-stream.

  pull EP N PARTS  PULL receiver of N messages of PARTS parts: rate, MB/s
                   (recv() for one part, as pyzmq's perf/ does; else recv_multipart())
  rep EP N         blocking REP echo of N messages
  req EP N SIZE    REQ client: 100 warm-up then N round trips: rtt_us, one_way_us
"""
import json
import sys
import time

import zmq


def out(value):
    print(json.dumps(value), flush=True)


def main():
    mode, endpoint, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = zmq.Context()
    if mode == "pull":
        s = ctx.socket(zmq.PULL)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        nbytes = 0
        if int(sys.argv[4]) == 1:
            recv = s.recv
            recv()
            t0 = time.perf_counter()
            for _ in range(n - 1):
                nbytes += len(recv())
        else:
            recv = s.recv_multipart
            recv()
            t0 = time.perf_counter()
            for _ in range(n - 1):
                for part in recv():
                    nbytes += len(part)
        dt = time.perf_counter() - t0
        out({"rate": round((n - 1) / dt), "mbps": nbytes / dt / 1e6})
    elif mode == "rep":
        s = ctx.socket(zmq.REP)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        for _ in range(n):
            s.send(s.recv())
        out({"echoed": n})
    elif mode == "req":
        payload = b"x" * int(sys.argv[4])
        s = ctx.socket(zmq.REQ)
        s.connect(endpoint)
        for _ in range(100):
            s.send(payload)
            s.recv()
        t0 = time.perf_counter()
        for _ in range(n):
            s.send(payload)
            s.recv()
        rtt = (time.perf_counter() - t0) * 1e6 / n
        out({"rtt_us": rtt, "one_way_us": rtt / 2})
    else:
        sys.exit(f"curves_peer: unknown mode {mode}")
    s.close(linger=0)
    ctx.term()


main()
