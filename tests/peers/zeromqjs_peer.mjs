// One zeromq.js program, run by Node on zeromq.js and by Deno on
// compat/zeromq.ts (deno.json maps "zeromq"): tests/compat_interop_test.ts
// makes the two talk, both ways. Prints JSON lines.
//
//   server <address> <count>   Router: echoes [id, ...parts] as [id, runtime, ...parts]
//   client <address> <count>   Dealer: sends count multipart messages, checks the echoes
//   reply <address> <count>    Reply: answers each request with "<runtime>:<request>"
//   request <address> <count>  Request: sends count requests, prints the replies
import * as zmq from "zeromq";

const runtime = typeof Deno === "undefined" ? "node" : "deno";
const [role, address, countText] = process.argv.slice(2);
const count = Number(countText ?? 10);
const say = (value) => console.log(JSON.stringify(value));

// every byte value, so encodings cannot hide a mangled payload
const binary = (i) => {
  const out = new Uint8Array(256 + i);
  for (let j = 0; j < out.length; j++) out[j] = (j + i) & 0xff;
  return out;
};
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function server() {
  const sock = new zmq.Router({ linger: 1000 });
  await sock.bind(address);
  say({ endpoint: sock.lastEndpoint });
  let n = 0;
  for await (const [id, ...parts] of sock) {
    await sock.send([id, runtime, ...parts]);
    if (++n === count) break;
  }
  say({ served: n });
  sock.close();
}

async function client() {
  const sock = new zmq.Dealer({ routingId: `${runtime}-client`, linger: 1000 });
  sock.receiveTimeout = 10000;
  sock.connect(address);
  const peers = new Set();
  for (let i = 0; i < count; i++) {
    await sock.send([String(i), binary(i), ""]);
    const [peer, index, payload, empty] = await sock.receive();
    if (
      index.toString() !== String(i) || !same(payload, binary(i)) ||
      empty.length !== 0
    ) {
      throw new Error(`echo ${i} came back wrong`);
    }
    peers.add(peer.toString());
  }
  say({ echoed: count, peer: [...peers].join() });
  sock.close();
}

async function reply() {
  const sock = new zmq.Reply({ linger: 1000 });
  await sock.bind(address);
  say({ endpoint: sock.lastEndpoint });
  for (let n = 0; n < count; n++) {
    const [msg] = await sock.receive();
    await sock.send(`${runtime}:${msg.toString()}`);
  }
  sock.close();
}

async function request() {
  const sock = new zmq.Request({ receiveTimeout: 10000, linger: 1000 });
  sock.connect(address);
  const replies = [];
  for (let i = 0; i < count; i++) {
    await sock.send(`${runtime}-${i}`);
    const [rep] = await sock.receive();
    replies.push(rep.toString());
  }
  say({ replies });
  sock.close();
}

const roles = { server, client, reply, request };
try {
  await roles[role]();
} catch (error) {
  say({ error: String(error?.stack ?? error) });
  process.exitCode = 1;
}
