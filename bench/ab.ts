/**
 * Two checkouts' code in one process, timed in alternating short windows:
 * on this shared VM single bench runs move by up to 2x, but both sides of
 * an alternation see the same noise, so the medians compare. This is how
 * the second wave's regression was found and checked (see
 * docs/benchmarks.md).
 *
 *   deno run -A bench/ab.ts DIR_A,DIR_B [MODE]
 *
 * DIR_A, DIR_B: checkouts (e.g. `git worktree add /tmp/old bedfb5b`).
 * MODE: `recvInto` (send + recvInto, 16 B, inproc; the default), `recv`
 * (send + recv), `stream` (a PUSH stream to a PULL stream on one loop),
 * `streamAsync` (the same with an async onRecv callback), `drain` (a PULL
 * stream's onRecv taking 20,000 waiting messages: the receive path alone),
 * `pingpong` (REQ/REP streams on one loop), `handler` (REQ/REP with
 * addHandler on one loop), `await` (`for await` over an AsyncSocket PULL
 * with 2000 messages waiting, inproc), `streamAwait` (the same over a
 * ZMQStream). Prints, per checkout, ns per message (or per
 * round trip): min, 25th percentile and median.
 *
 * @module
 */

type Zmq = typeof import("../mod.ts");

const [dirList, mode = "recvInto"] = Deno.args;
if (!dirList) {
  console.error("usage: deno run -A bench/ab.ts DIR_A,DIR_B [MODE]");
  Deno.exit(2);
}
const dirs = dirList.split(",");
const mods: Zmq[] = await Promise.all(
  dirs.map((d) =>
    import(new URL("mod.ts", `file://${Deno.realPathSync(d)}/`).href)
  ),
);
const payload = new Uint8Array(16).fill(120);

/** One timed window: runs and returns ns per message. */
type Window = () => Promise<number>;

function raw(m: Zmq, i: number, into: boolean): Window {
  const ctx = new m.Context();
  const pull = ctx.socket(m.PULL), push = ctx.socket(m.PUSH);
  pull.bind(`inproc://ab-raw-${i}`);
  push.connect(`inproc://ab-raw-${i}`);
  const buf = new Uint8Array(256);
  const batch = into
    ? () => {
      for (let j = 0; j < 100; j++) push.send(payload);
      for (let j = 0; j < 100; j++) pull.recvInto(buf);
    }
    : () => {
      for (let j = 0; j < 100; j++) push.send(payload);
      for (let j = 0; j < 100; j++) pull.recv();
    };
  return () => {
    const t0 = performance.now();
    for (let k = 0; k < 200; k++) batch();
    return Promise.resolve((performance.now() - t0) * 1e6 / 20_000);
  };
}

function streams(m: Zmq, i: number, async = false): Window {
  const n = 50_000;
  const ctx = new m.Context();
  const loop = new m.IOLoop();
  const pull = new m.ZMQStream(ctx.socket(m.PULL), loop);
  const push = new m.ZMQStream(ctx.socket(m.PUSH), loop);
  pull.bind(`inproc://ab-stream-${i}`);
  push.connect(`inproc://ab-stream-${i}`);
  let left = 0;
  pull.onRecv(
    async
      // deno-lint-ignore require-await
      ? async () => {
        if (--left === 0) loop.stop();
      }
      : () => {
        if (--left === 0) loop.stop();
      },
  );
  return async () => {
    left = n;
    const t0 = performance.now();
    loop.addCallback(() => {
      for (let k = 0; k < n; k++) push.send(payload);
    });
    await loop.start();
    return (performance.now() - t0) * 1e6 / n;
  };
}

function pingpong(m: Zmq, i: number, handlers: boolean): Window {
  const n = 5000;
  const ctx = new m.Context();
  const loop = new m.IOLoop();
  const rep = ctx.socket(m.REP), req = ctx.socket(m.REQ);
  rep.bind(`inproc://ab-rt-${i}`);
  req.connect(`inproc://ab-rt-${i}`);
  let left = 0;
  const back = (msg: Uint8Array[], again: (msg: Uint8Array[]) => void) => {
    if (--left > 0) again(msg);
    else loop.stop();
  };
  if (handlers) {
    loop.addHandler(rep, () => {
      rep.sendMultipart(rep.recvMultipart(m.NOBLOCK));
    }, m.IOLoop.READ);
    loop.addHandler(req, () => {
      back(req.recvMultipart(m.NOBLOCK), (msg) => req.sendMultipart(msg));
    }, m.IOLoop.READ);
  } else {
    const rs = new m.ZMQStream(rep, loop), qs = new m.ZMQStream(req, loop);
    rs.onRecv((msg) => rs.sendMultipart(msg));
    qs.onRecv((msg) => back(msg, (again) => qs.sendMultipart(again)));
  }
  return async () => {
    left = n;
    const t0 = performance.now();
    req.send(payload);
    await loop.start();
    return (performance.now() - t0) * 1e6 / n;
  };
}

function drain(m: Zmq, i: number): Window {
  const n = 20_000;
  const ctx = new m.Context();
  const loop = new m.IOLoop();
  const raw = ctx.socket(m.PULL);
  raw.setsockopt(m.RCVHWM, 0);
  const pull = new m.ZMQStream(raw, loop);
  const push = ctx.socket(m.PUSH);
  push.setsockopt(m.SNDHWM, 0);
  pull.bind(`inproc://ab-drain-${i}`);
  push.connect(`inproc://ab-drain-${i}`);
  let left = 0;
  pull.onRecv(() => {
    if (--left === 0) loop.stop();
  });
  return async () => {
    for (let k = 0; k < n; k++) push.send(payload);
    left = n;
    const t0 = performance.now();
    await loop.start();
    return (performance.now() - t0) * 1e6 / n;
  };
}

function awaited(m: Zmq, i: number, async: boolean): Window {
  const n = 2000;
  const ctx = new m.Context();
  const loop = new m.IOLoop();
  const raw = ctx.socket(m.PULL);
  raw.setsockopt(m.RCVHWM, 0);
  const pull = async
    ? new m.AsyncSocket(raw, loop)
    : new m.ZMQStream(raw, loop);
  const push = ctx.socket(m.PUSH);
  push.setsockopt(m.SNDHWM, 0);
  pull.bind(`inproc://ab-await-${i}`);
  push.connect(`inproc://ab-await-${i}`);
  const it = pull[Symbol.asyncIterator]();
  return async () => {
    for (let k = 0; k < n; k++) push.send(payload);
    const t0 = performance.now();
    for (let k = 0; k < n; k++) await it.next();
    return (performance.now() - t0) * 1e6 / n;
  };
}

const windows: Window[] = mods.map((m, i) => {
  switch (mode) {
    case "recvInto":
      return raw(m, i, true);
    case "recv":
      return raw(m, i, false);
    case "stream":
      return streams(m, i);
    case "streamAsync":
      return streams(m, i, true);
    case "pingpong":
      return pingpong(m, i, false);
    case "handler":
      return pingpong(m, i, true);
    case "drain":
      return drain(m, i);
    case "await":
      return awaited(m, i, true);
    case "streamAwait":
      return awaited(m, i, false);
    default:
      console.error(`ab: unknown mode ${mode}`);
      Deno.exit(2);
  }
});

const rounds = ["recvInto", "recv", "await", "streamAwait", "drain"].includes(
    mode,
  )
  ? 60
  : 30;
const samples: number[][] = windows.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < windows.length; i++) {
    const ns = await windows[i]!();
    if (round >= 5) samples[i]!.push(ns); // the first rounds warm the JIT
  }
}
for (let i = 0; i < windows.length; i++) {
  const s = samples[i]!.sort((a, b) => a - b);
  const at = (q: number) => s[Math.floor(s.length * q)]!.toFixed(1);
  console.log(
    `${dirs[i]} ${mode}: min ${at(0)} p25 ${at(0.25)} median ${
      at(0.5)
    } ns per ${
      mode === "pingpong" || mode === "handler" ? "round trip" : "message"
    }`,
  );
}
Deno.exit(0);
