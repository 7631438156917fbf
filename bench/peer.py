"""pyzmq's side of the benchmarks (ZMQStream on tornado); run by bench/run.ts.

  rep-stream EP N    the echo example: a REP ZMQStream
  pull-stream EP N   PULL ZMQStream with on_recv: rate, MB/s
"""
import json
import sys
import time

import zmq
from tornado import ioloop
from zmq.eventloop.zmqstream import ZMQStream


def out(value):
    print(json.dumps(value), flush=True)


def main():
    mode, endpoint, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = zmq.Context()
    loop = ioloop.IOLoop.current()
    if mode == "rep-stream":
        n += 100  # the client's warm-up
        stream = ZMQStream(ctx.socket(zmq.REP))
        stream.bind(endpoint)
        out({"endpoint": stream.socket.getsockopt_string(zmq.LAST_ENDPOINT)})
        count = [0]

        def echo(msg):
            stream.send_multipart(msg)
            count[0] += 1
            if count[0] == n:
                loop.add_callback(loop.stop)

        stream.on_recv(echo)
        loop.start()
    elif mode == "pull-stream":
        stream = ZMQStream(ctx.socket(zmq.PULL))
        stream.bind(endpoint)
        out({"endpoint": stream.socket.getsockopt_string(zmq.LAST_ENDPOINT)})
        state = {"count": 0, "bytes": 0, "t0": 0.0}

        def recv(msg):
            if state["count"] == 0:
                state["t0"] = time.perf_counter()
            else:
                state["bytes"] += len(msg[0])
            state["count"] += 1
            if state["count"] == n:
                loop.stop()

        stream.on_recv(recv)
        loop.start()
        dt = time.perf_counter() - state["t0"]
        out({"rate": round((n - 1) / dt), "mbps": state["bytes"] / dt / 1e6})
    stream.close(linger=0)
    ctx.term()


main()
