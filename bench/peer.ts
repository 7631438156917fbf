/**
 * zmqloop's side of the benchmarks; run by bench/run.ts. Prints JSON lines:
 * {"endpoint": ...} once bound, then the result.
 *
 *   inproc N [recv|recvInto]   sync PUSH->PULL over inproc, 16 B
 *   rep-handler EP N           REP echo driven by IOLoop.addHandler
 *   rep-stream EP N            the echo example: a REP ZMQStream
 *   pull-stream EP N           PULL ZMQStream with onRecv: rate, MB/s, RSS
 *   push-stream EP N SIZE      PUSH ZMQStream sending with sendMultipart
 *   idle SECONDS SOCKETS       a loop with idle sockets: CPU time used
 *   timers COUNT DELAY         callLater(DELAY) lateness: median, p99
 *   neighbours IDLE N          one busy inproc PUSH->PULL stream pair beside
 *                              IDLE idle PULL streams (onRecv set): msg/s,
 *                              and msg per CPU second
 */

import {
  Context,
  IOLoop,
  LAST_ENDPOINT,
  LINGER,
  MAX_SOCKETS,
  PULL,
  PUSH,
  REP,
  type Socket,
  ZMQStream,
} from "../mod.ts";
import { startEcho } from "../examples/echo.ts";

const [mode, ...args] = Deno.args;
const out = (value: unknown) => console.log(JSON.stringify(value));
const ctx = new Context();
const loop = new IOLoop();

function cpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks
}

/** Sync PUSH->PULL over inproc (in a function, so V8 optimises it as C's loop is). */
function inproc(n: number, into: boolean): number {
  const pull = ctx.socket(PULL), push = ctx.socket(PUSH);
  pull.bind("inproc://bench");
  push.connect("inproc://bench");
  const payload = new Uint8Array(16).fill(120);
  const buf = new Uint8Array(256);
  // Batches of 100 sends then 100 receives, as the C loop does; a small
  // function called often is what V8 optimises best.
  const batch = into
    ? () => {
      for (let j = 0; j < 100; j++) push.send(payload);
      for (let j = 0; j < 100; j++) pull.recvInto(buf);
    }
    : () => {
      for (let j = 0; j < 100; j++) push.send(payload);
      for (let j = 0; j < 100; j++) pull.recv();
    };
  let best = 0;
  for (let round = 0; round < 5; round++) { // the first round warms up the JIT
    const t0 = performance.now();
    for (let i = 0; i < n; i += 100) batch();
    if (round) best = Math.max(best, n / ((performance.now() - t0) / 1000));
  }
  pull.close();
  push.close();
  return Math.round(best);
}

switch (mode) {
  case "inproc": {
    out({ rate: inproc(Number(args[0]), args[1] === "recvInto") });
    break;
  }
  case "rep-handler": {
    const n = Number(args[1]) + 100; // + the client's warm-up
    const rep = ctx.socket(REP);
    rep.bind(args[0]!);
    out({ endpoint: rep.getsockopt(LAST_ENDPOINT) });
    let count = 0;
    loop.addHandler(rep, (s: Socket) => {
      s.send(s.recv());
      if (++count === n) loop.stop();
    }, IOLoop.READ);
    await loop.start();
    break;
  }
  case "rep-stream": {
    const n = Number(args[1]) + 100;
    const stream = startEcho(ctx, args[0]!, loop);
    out({ endpoint: stream.getsockopt(LAST_ENDPOINT) });
    let count = 0;
    stream.onSend(() => {
      if (++count === n) loop.stop();
    });
    await loop.start();
    stream.close();
    break;
  }
  case "pull-stream": {
    const n = Number(args[1]);
    const stream = new ZMQStream(ctx.socket(PULL), loop);
    stream.bind(args[0]!);
    out({ endpoint: stream.getsockopt(LAST_ENDPOINT) });
    let count = 0, bytes = 0, t0 = 0, rss100k = 0;
    stream.onRecv((msg) => {
      if (count === 0) t0 = performance.now();
      else bytes += msg[0]!.length;
      count++;
      if (count === 100_000) rss100k = Deno.memoryUsage().rss;
      if (count === n) loop.stop();
    });
    await loop.start();
    const dt = (performance.now() - t0) / 1000;
    out({
      rate: Math.round((n - 1) / dt),
      mbps: bytes / dt / 1e6,
      rss100k,
      rssEnd: Deno.memoryUsage().rss,
    });
    stream.close();
    break;
  }
  case "push-stream": {
    const n = Number(args[1]), size = Number(args[2]);
    const stream = new ZMQStream(ctx.socket(PUSH), loop);
    stream.setsockopt(LINGER, -1);
    stream.connect(args[0]!);
    const payload = new Uint8Array(size).fill(120);
    const t0 = performance.now();
    let queued = 0;
    // Keep the queue topped up without building 1M entries at once.
    const feed = () => {
      const target = Math.min(n, queued + 10_000);
      while (queued < target) {
        stream.sendMultipart([payload]);
        queued++;
      }
      if (queued < n) stream.drained().then(feed);
      else stream.drained().then(() => loop.stop());
    };
    feed();
    await loop.start();
    out({ rate: Math.round(n / ((performance.now() - t0) / 1000)) });
    stream.close();
    break;
  }
  case "idle": {
    const seconds = Number(args[0]), count = Number(args[1]);
    const socks = Array.from({ length: count }, () => ctx.socket(PULL));
    socks.forEach((s) => {
      s.bind("tcp://127.0.0.1:*");
      loop.addHandler(s, () => {}, IOLoop.READ);
    });
    await new Promise((r) => setTimeout(r, 200)); // settle
    const c0 = cpuSeconds(), t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const used = cpuSeconds() - c0, wall = (performance.now() - t0) / 1000;
    out({ cpuPercent: (100 * used) / wall });
    break;
  }
  case "timers": {
    const count = Number(args[0]), delay = Number(args[1]);
    const late: number[] = [];
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve) => {
        const want = loop.time() + delay;
        loop.callLater(delay, () => {
          late.push(loop.time() - want);
          resolve();
        });
      });
    }
    late.sort((a, b) => a - b);
    out({
      medianMs: late[Math.floor(count / 2)],
      p99Ms: late[Math.min(count - 1, Math.floor(count * 0.99))],
    });
    break;
  }
  case "neighbours": {
    const idle = Number(args[0]), n = Number(args[1]);
    ctx.set(MAX_SOCKETS, idle + 1000);
    const idlers = Array.from({ length: idle }, (_, i) => {
      const s = new ZMQStream(ctx.socket(PULL), loop);
      s.bind(`inproc://idle-${i}`);
      s.onRecv(() => {
        throw new Error("An idle neighbour received a message");
      });
      return s;
    });
    const pull = new ZMQStream(ctx.socket(PULL), loop);
    const push = new ZMQStream(ctx.socket(PUSH), loop);
    pull.bind("inproc://busy");
    push.connect("inproc://busy");
    const payload = new Uint8Array(16).fill(120);
    let queued = 0, received = 0;
    // Keep about 1000 messages queued: refill as they are written.
    const refill = () => {
      while (queued < n && push.sendQueueLength < 1000) {
        push.send(payload);
        queued++;
      }
    };
    push.onSend(refill);
    // Let the loop look at every new registration once before timing.
    while (loop.stats.examined < idle + 2) {
      await loop.runSync(() => new Promise((r) => setTimeout(r, 1)));
    }
    const t0 = performance.now(), c0 = cpuSeconds();
    pull.onRecv(() => {
      if (++received === n) loop.stop();
    });
    refill();
    await loop.start();
    const seconds = (performance.now() - t0) / 1000;
    // Per CPU second too: on a shared machine, far steadier than wall time.
    const cpu = cpuSeconds() - c0;
    out({
      rate: Math.round(n / seconds),
      cpuRate: Math.round(n / cpu),
      stats: loop.stats,
    });
    for (const s of [...idlers, pull, push]) s.close(0);
    break;
  }
  default:
    console.error(`peer: unknown mode ${mode}`);
    Deno.exit(2);
}
await loop.closeAndWait();
ctx.destroy();
