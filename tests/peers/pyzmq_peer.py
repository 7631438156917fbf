"""PyZMQ peers for the interop tests (tests/interop_test.ts).

Usage: pyzmq_peer.py MODE ENDPOINT [ARGS...]
Prints JSON lines: first {"endpoint": ...} once ready, then results.
Exits when its stdin closes, so a test that dies never leaves it behind.

  rep EP                      REP: replies [b"py", *request]
  req EP N                    REQ: N requests, checks each reply
  pub EP                      PUB: publishes "weather.N", "sports.N", "news.N"
                              every 5 ms until told to stop
  dealer EP N                 DEALER (identity py-dealer): N multipart requests
  push EP N                   PUSH: N messages b"%d:" + pattern
  curve-req EP SERVERKEY PUB SECRET N   CURVE client with given Z85 keys
  ack EP                      ROUTER: replies [id, *msg] to every message
  pullcheck EP                PULL: checks "seq" messages come 0, 1, 2...;
                              prints {"count", "gaps"} every second
  certs - DIR                 loads DIR/*.key_secret with zmq.auth, then
                              writes DIR/py.key(_secret) with zmq.auth
"""
import glob
import json
import os
import sys
import threading
import time

import zmq
import zmq.auth


def out(value):
    print(json.dumps(value), flush=True)


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


def payload(i):
    body = bytes((i * 7 + k) % 256 for k in range(i % 64))
    return b"%d:" % i + body


def main():
    threading.Thread(target=watch_stdin, daemon=True).start()
    mode, endpoint, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    ctx = zmq.Context()
    if mode == "rep":
        s = ctx.socket(zmq.REP)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        while True:
            s.send_multipart([b"py"] + s.recv_multipart())
    elif mode == "req":
        n = int(args[0])
        s = ctx.socket(zmq.REQ)
        s.rcvtimeo = 10000
        s.connect(endpoint)
        out({"endpoint": endpoint})
        for i in range(n):
            s.send_multipart([b"req", b"%d" % i])
            reply = s.recv_multipart()
            if reply != [b"js", b"req", b"%d" % i]:
                out({"error": "bad reply %r" % reply})
                return
        out({"done": n})
    elif mode == "pub":
        s = ctx.socket(zmq.PUB)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        i = 0
        while True:
            i += 1
            for topic in (b"weather", b"sports", b"news"):
                s.send_multipart([b"%s.%d" % (topic, i), b"body"])
            time.sleep(0.005)
    elif mode == "dealer":
        n = int(args[0])
        s = ctx.socket(zmq.DEALER)
        s.identity = b"py-dealer"
        s.rcvtimeo = 10000
        s.connect(endpoint)
        out({"endpoint": endpoint})
        for i in range(n):
            s.send_multipart([b"", b"part-a", b"%d" % i, b""])
        got = [s.recv_multipart() for _ in range(n)]
        want = [[b"", b"ack", b"py-dealer", b"part-a", b"%d" % i, b""] for i in range(n)]
        out({"done": n, "ok": got == want})
    elif mode == "push":
        n = int(args[0])
        s = ctx.socket(zmq.PUSH)
        s.connect(endpoint)
        out({"endpoint": endpoint})
        for i in range(n):
            s.send(payload(i))
        out({"done": n})
    elif mode == "curve-req":
        server_key, public, secret, n = args[0], args[1], args[2], int(args[3])
        s = ctx.socket(zmq.REQ)
        s.curve_serverkey = server_key.encode()
        s.curve_publickey = public.encode()
        s.curve_secretkey = secret.encode()
        s.rcvtimeo = 10000
        s.connect(endpoint)
        out({"endpoint": endpoint})
        for i in range(n):
            s.send(b"secret %d" % i)
            reply = s.recv()
            if reply != b"js secret %d" % i:
                out({"error": "bad reply %r" % reply})
                return
        out({"done": n, "z85_public_ok": zmq.curve_public(secret.encode()) == public.encode()})
    elif mode == "ack":
        s = ctx.socket(zmq.ROUTER)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        while True:
            s.send_multipart(s.recv_multipart())
    elif mode == "pullcheck":
        s = ctx.socket(zmq.PULL)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        count, gaps, last = 0, 0, time.time()
        while True:
            if s.poll(100):
                while True:
                    try:
                        seq = int(s.recv(zmq.NOBLOCK))
                    except zmq.Again:
                        break
                    if seq != count:
                        gaps += 1
                    count = seq + 1
            if time.time() - last >= 1:
                last = time.time()
                out({"count": count, "gaps": gaps})
    elif mode == "certs":
        out({"endpoint": endpoint})
        loaded = {}
        for path in sorted(glob.glob(os.path.join(args[0], "*.key_secret"))):
            public, secret = zmq.auth.load_certificate(path)
            loaded[os.path.basename(path)] = [public.decode(), secret.decode()]
        public_file, secret_file = zmq.auth.create_certificates(args[0], "py")
        public, secret = zmq.auth.load_certificate(secret_file)
        out({"loaded": loaded, "py": [public.decode(), secret.decode()]})
    else:
        out({"error": "unknown mode " + mode})
        return
    # stay until the test closes stdin, so results are read before exit
    threading.Event().wait()


if __name__ == "__main__":
    try:
        main()
    except zmq.ZMQError as e:
        out({"error": str(e)})
    except KeyboardInterrupt:
        pass
