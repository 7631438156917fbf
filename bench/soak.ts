/**
 * `deno task soak`: a REQ/REP + PUB/SUB + PUSH/PULL mix against PyZMQ peers
 * on one IOLoop for a while (default 2 minutes), printing throughput,
 * latency percentiles and RSS every 10 s. Fails when a message is lost or
 * memory keeps growing.
 *
 *   deno run -A bench/soak.ts [--seconds=120]
 *
 * @module
 */

import { Context, IOLoop, PUSH, REQ, SNDHWM, SUB, ZMQStream } from "../mod.ts";
import { pyzmq } from "../tests/_pyzmq.ts";

const seconds = Number(
  Deno.args.find((a) => a.startsWith("--seconds="))?.slice(10) ?? "120",
);
if (!(seconds > 0)) {
  console.error(`soak: --seconds must be a positive number, got ${seconds}`);
  Deno.exit(2);
}

const decoder = new TextDecoder();
const rssMb = () => Deno.memoryUsage().rss / 2 ** 20;
const pct = (sorted: number[], p: number) =>
  sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
    : NaN;

await using repPeer = await pyzmq("rep", "tcp://127.0.0.1:*");
await using pubPeer = await pyzmq("pub", "tcp://127.0.0.1:*");
await using pullPeer = await pyzmq("pullcheck", "tcp://127.0.0.1:*");

const ctx = new Context();
const loop = new IOLoop();
const problems: string[] = [];

// REQ/REP: one request in flight, latency per round trip.
const req = new ZMQStream(ctx.socket(REQ), loop);
req.connect(repPeer.endpoint);
let rtts: number[] = [];
let rounds = 0;
let sentAt = 0;
let reqSeq = 0;
req.onRecv(([py, body]) => {
  rtts.push(performance.now() - sentAt);
  rounds++;
  if (decoder.decode(py) !== "py" || decoder.decode(body) !== String(reqSeq)) {
    problems.push(`REQ/REP: bad reply to ${reqSeq}`);
  }
  sentAt = performance.now();
  req.sendString(String(++reqSeq));
});
sentAt = performance.now();
req.sendString("0");

// PUB/SUB: topics "weather." and "sports." must come without gaps.
const subSocket = ctx.socket(SUB);
subSocket.subscribe("weather.");
subSocket.subscribe("sports.");
subSocket.connect(pubPeer.endpoint);
const sub = new ZMQStream(subSocket, loop);
const lastSeq = new Map<string, number>();
let published = 0;
sub.onRecv(([topic]) => {
  const [name, seq] = decoder.decode(topic).split(".") as [string, string];
  const n = Number(seq);
  const prev = lastSeq.get(name);
  if (prev !== undefined && n !== prev + 1) {
    problems.push(`PUB/SUB: ${name} jumped from ${prev} to ${n}`);
  }
  if (name === "news") problems.push("PUB/SUB: got an unsubscribed topic");
  lastSeq.set(name, n);
  published++;
});

// PUSH/PULL: a stream pushes as fast as the peer takes, waiting on drained().
const push = new ZMQStream(ctx.socket(PUSH), loop);
push.setsockopt(SNDHWM, 1000);
push.connect(pullPeer.endpoint);
let pushed = 0;
let running = true;
const pushing = (async () => {
  while (running) {
    for (let i = 0; i < 1000; i++) push.sendString(String(pushed++));
    await push.drained();
  }
})();
let pulled = { count: 0, gaps: 0 };
(async () => {
  for (;;) {
    try {
      pulled = await pullPeer.next(5000) as typeof pulled;
    } catch {
      return;
    }
  }
})();

const started = performance.now();
let lastReport = started;
let lastCounts = { rounds: 0, published: 0, pushed: 0 };
const rss0: number[] = [];
console.log(
  `soak: ${seconds} s of REQ/REP + PUB/SUB + PUSH/PULL against PyZMQ peers`,
);
console.log(
  "  time | req/rep /s | rtt p50  p99 ms | sub /s | push /s | pulled ok | RSS MB | heap MB | ext MB",
);
const report = () => {
  const now = performance.now();
  const dt = (now - lastReport) / 1000;
  const sorted = rtts.sort((a, b) => a - b);
  const line = [
    `${((now - started) / 1000).toFixed(0).padStart(5)}s`,
    ((rounds - lastCounts.rounds) / dt).toFixed(0).padStart(10),
    `${pct(sorted, 0.5).toFixed(3).padStart(8)} ${
      pct(sorted, 0.99).toFixed(3).padStart(6)
    }`,
    ((published - lastCounts.published) / dt).toFixed(0).padStart(6),
    ((pushed - lastCounts.pushed) / dt).toFixed(0).padStart(7),
    `${pulled.count}${pulled.gaps ? ` (${pulled.gaps} gaps)` : ""}`.padStart(9),
    rssMb().toFixed(1).padStart(6),
    (Deno.memoryUsage().heapUsed / 2 ** 20).toFixed(1).padStart(7),
    (Deno.memoryUsage().external / 2 ** 20).toFixed(1).padStart(6),
  ];
  console.log(line.join(" | "));
  rss0.push(rssMb());
  rtts = [];
  lastReport = now;
  lastCounts = { rounds, published, pushed };
  if (problems.length) loop.stop();
};
// A line every 10 s (and at the end); the first comes after 10 s of traffic.
const tick = () => {
  report();
  const left = seconds * 1000 - (performance.now() - started);
  if (left > 1) loop.callLater(Math.min(10_000, left), tick);
  else loop.stop();
};
loop.callLater(Math.min(10_000, seconds * 1000), tick);
await loop.start();
running = false;
// Let the PULL peer report the final count.
const final = pushed;
const deadline = performance.now() + 10_000;
while (pulled.count < final && performance.now() < deadline) {
  try {
    pulled = await pullPeer.next(2000) as typeof pulled;
  } catch {
    break;
  }
}
req.close();
sub.close();
push.close();
await pushing.catch(() => {});
loop.close();
ctx.destroy(0);

if (pulled.gaps) problems.push(`PUSH/PULL: ${pulled.gaps} gaps`);
// The queue is discarded at close: what matters is no gap in what arrived.
if (pulled.count === 0) problems.push("PUSH/PULL: nothing arrived");
const steady = rss0.slice(1);
if (steady.length >= 3) {
  const growth = steady.at(-1)! - steady[0]!;
  if (growth > 50) {
    problems.push(`RSS grew ${growth.toFixed(1)} MB after warm-up`);
  }
}
console.log(
  `soak: ${rounds} round trips, ${published} published, ${pushed} pushed (${pulled.count} counted by the peer)`,
);
if (problems.length) {
  for (const p of problems.slice(0, 10)) console.error(`soak: FAIL ${p}`);
  Deno.exit(1);
}
console.log("soak: OK, nothing lost, memory bounded");
