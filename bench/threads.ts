/**
 * Threads benchmark, short (the CPUs are shared: read the figures as taken
 * under load):
 * 1. mtserver scaling: the guide's mtserver shape (ROUTER tcp, DEALER
 *    inproc, proxy, REP Workers on the shared context), each request costing
 *    ~200 µs of CPU in its worker; requests/s with 2 Workers vs 1 (target >= 1.6x).
 * 2. inproc between threads: 1M x 16 B PUSH (main, ZMQStream) -> PULL
 *    (Worker, ZMQStream) vs C with two pthreads (bench/c, mode inproc-threads),
 *    each after 200k warm-up messages through the same sockets.
 *
 * Run: deno run --allow-ffi --allow-env --allow-run --allow-read --allow-write bench/threads.ts [--quick]
 */

import { Context, DEALER, PUSH, SNDHWM, ZMQStream } from "../mod.ts";
import { startMtServer } from "../examples/mtserver.ts";

const quick = Deno.args.includes("--quick");
const here = new URL(".", import.meta.url).pathname;

async function mtserverRate(workers: number, requests: number, workUs: number) {
  await using server = await startMtServer({ workers, workUs });
  const ctx = new Context({ linger: 0 });
  const client = ctx.socket(DEALER);
  client.connect(server.endpoint);
  const window = 32;
  let sent = 0, received = 0, errors = 0;
  const send = () => {
    client.sendMultipart(["", "Hello"]);
    sent++;
  };
  // warm up: one round trip through every hop
  send();
  client.recvMultipart();
  sent = 0;
  const t0 = performance.now();
  while (sent < Math.min(window, requests)) send();
  while (received < requests) {
    const [, reply] = client.recvMultipart(); // blocking: the workers answer on their threads
    if (!new TextDecoder().decode(reply).startsWith("World from worker-")) {
      errors++;
    }
    received++;
    if (sent < requests) send();
  }
  const seconds = (performance.now() - t0) / 1000;
  client.close();
  ctx.term();
  return { rate: requests / seconds, errors };
}

// Deeper queues than the default 1000 let each side run longer between waits.
const HWM = 100_000;
const BATCH = 10_000; // messages queued per drained() wait
const WARM = 200_000; // messages through each side before the clock starts

async function inprocStreams(n: number): Promise<number> {
  const ctx = new Context({ linger: 0 });
  const push = new ZMQStream(ctx.socket(PUSH));
  push.setsockopt(SNDHWM, HWM);
  const endpoint = "inproc://bench-threads";
  push.bind(endpoint);
  const w = new Worker(new URL("./_inproc_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const next = () => new Promise<string>((r) => w.onmessage = (e) => r(e.data));
  w.postMessage({ address: ctx.underlying, endpoint, n, hwm: HWM, warm: WARM });
  await next();
  const body = new Uint8Array(16).fill(120);
  const sendAll = async (count: number) => {
    for (let sent = 0; sent < count;) {
      const batch = Math.min(BATCH, count - sent);
      for (let i = 0; i < batch; i++) push.send(body);
      sent += batch;
      await push.drained();
    }
  };
  // Warm up first (the JIT's optimised code, the pipe's memory), as the C
  // side does: the row is the steady rate, not the first 100 ms of a thread.
  const warm = next();
  await sendAll(WARM);
  await warm;
  const done = next();
  const t0 = performance.now();
  await sendAll(n);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  w.terminate();
  push.close();
  ctx.term();
  return n / seconds;
}

async function cInprocThreads(n: number): Promise<number | null> {
  const bin = `${here}bin/zmqbench`;
  await Deno.mkdir(`${here}bin`, { recursive: true });
  const build = await new Deno.Command("gcc", {
    args: ["-O2", "-o", bin, `${here}c/zmqbench.c`, "-lzmq", "-lpthread"],
  }).output().catch(() => null);
  if (!build?.success) return null;
  const out = await new Deno.Command(bin, {
    args: ["inproc-threads", String(n), String(WARM), String(HWM)],
  }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!;
  return (JSON.parse(line) as { rate: number }).rate;
}

const fmt = (r: number) => `${Math.round(r).toLocaleString("en-US")}/s`;
const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Three alternating rounds each, medians: single runs drift a lot on a shared machine.
const ROUNDS = quick ? 1 : 3;
const requests = quick ? 1000 : 3000;
const ones: number[] = [], twos: number[] = [];
let errors = 0;
for (let round = 0; round < ROUNDS; round++) {
  const one = await mtserverRate(1, requests, 200);
  const two = await mtserverRate(2, requests, 200);
  ones.push(one.rate);
  twos.push(two.rate);
  errors += one.errors + two.errors;
}
const ratios = ones.map((one, i) => twos[i]! / one);
console.log(
  `mtserver, ~200 µs CPU per request, ${requests} requests, 32 in flight, median of ${ROUNDS}: ` +
    `1 Worker ${fmt(median(ones))}, 2 Workers ${fmt(median(twos))}: ${
      median(ratios).toFixed(2)
    }x (rounds ${
      ratios.map((r) => r.toFixed(2)).join(", ")
    }; target >= 1.6x), client errors ${errors}`,
);
const n = quick ? 200_000 : 1_000_000;
const ours: number[] = [], cs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  ours.push(await inprocStreams(n));
  const c = await cInprocThreads(n);
  if (c !== null) cs.push(c);
}
console.log(
  `inproc ${
    n.toLocaleString("en-US")
  } x 16 B, PUSH main -> PULL Worker, median of ${ROUNDS}: ZMQStreams ${
    fmt(median(ours))
  }` +
    (cs.length === 0
      ? " (C baseline not built: gcc and zmq.h needed)"
      : `, C two pthreads ${fmt(median(cs))}: ${
        (median(ours) / median(cs)).toFixed(2)
      }x of C (target >= 0.5x)`),
);
