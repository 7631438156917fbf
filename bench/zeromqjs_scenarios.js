// zeromq.js's own benchmark scenarios (its test/bench: queue, deliver,
// deliver-multipart, deliver-async-iterator), written once against the
// zeromq.js API and run both by Node on zeromq.js and by Deno on
// compat/zeromq.ts. Each returns messages per second for one run.
import { Buffer } from "node:buffer";

let seq = 0;

async function endpoints(zmq, proto) {
  const server = new zmq.Dealer();
  if (proto === "tcp") {
    await server.bind("tcp://127.0.0.1:*");
  } else {
    await server.bind(`inproc://bench-${seq++}`);
  }
  const client = new zmq.Dealer();
  client.connect(server.lastEndpoint ?? `inproc://bench-${seq - 1}`);
  return [server, client];
}

export const scenarios = {
  // await each send on a socket with nobody connected (the queue fills)
  async queue(zmq, _proto, msgsize, n) {
    const client = new zmq.Dealer();
    client.linger = 0;
    client.sendHighWaterMark = n * 2;
    client.connect("tcp://127.0.0.1:1");
    const start = performance.now();
    for (let i = 0; i < n; i++) await client.send(Buffer.alloc(msgsize));
    const ms = performance.now() - start;
    client.close();
    return (n / ms) * 1000;
  },
  // await each send, while the other end awaits each receive
  deliver: (zmq, proto, msgsize, n) =>
    deliver(zmq, proto, n, () => Buffer.alloc(msgsize), "receive"),
  "deliver-multipart": (zmq, proto, msgsize, n) =>
    deliver(zmq, proto, n, () => [
      Buffer.alloc(msgsize),
      Buffer.alloc(msgsize),
      Buffer.alloc(msgsize),
    ], "receive"),
  // the same, the receiver in a for await that closes the socket at the end
  "deliver-async-iterator": (zmq, proto, msgsize, n) =>
    deliver(zmq, proto, n, () => Buffer.alloc(msgsize), "iterate"),
};

async function deliver(zmq, proto, n, message, how) {
  const [server, client] = await endpoints(zmq, proto);
  const start = performance.now();
  const send = async () => {
    for (let i = 0; i < n; i++) await client.send(message());
  };
  const receive = how === "receive"
    ? async () => {
      for (let j = 0; j < n; j++) await server.receive();
    }
    : async () => {
      let i = 0;
      for await (const _ of server) if (++i === n) server.close();
    };
  await Promise.all([send(), receive()]);
  const ms = performance.now() - start;
  server.close();
  client.close();
  return (n / ms) * 1000;
}

export const SIZES = [1, 16, 256, 4096, 65536];
export const PROTOS = ["tcp", "inproc"];

// Rows as [scenario, proto, size]; queue is tcp only, as in zeromq.js.
export function rows(only) {
  const out = [];
  for (const name of Object.keys(scenarios)) {
    if (only && !name.startsWith(only)) continue;
    for (const proto of name === "queue" ? ["tcp"] : PROTOS) {
      for (const size of SIZES) out.push([name, proto, size]);
    }
  }
  return out;
}

/**
 * Runs every row `rounds` times and keeps the best rate of each.
 *
 * @param {unknown} zmq the zeromq.js module (or compat/zeromq.ts)
 * @param {{ n?: number, rounds?: number, only?: string }} [options]
 * @returns {Promise<Record<string, number>>} msg/s by "scenario proto size"
 */
export async function runAll(zmq, options = {}) {
  const { n = 5000, rounds = 3, only } = options;
  const results = {};
  for (const [name, proto, size] of rows(only)) {
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      best = Math.max(best, await scenarios[name](zmq, proto, size, n));
    }
    results[`${name} ${proto} ${size}`] = best;
  }
  return results;
}
