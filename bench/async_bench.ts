/**
 * `deno task bench:async`: issue 13's `await` / `for await` rows, each
 * against C libzmq, zeromq.js 6 on Node and pyzmq asyncio, all measured in
 * this run (tcp loopback, 16 B messages):
 *
 *   a. `for await` over an AsyncSocket PULL fed by a C PUSH (receiver's rate,
 *      first to last message), vs a C PULL, zeromq.js `for await`, pyzmq;
 *   d. the same over a `ZMQStream` (`for await`, i.e. `recvMultipart()`);
 *   b. a REQ AsyncSocket doing `await send` then `await recvMultipart()`
 *      against a C REP (mean round trip), vs a C REQ, zeromq.js, pyzmq;
 *   c. `await sock.send()` for each message to a C PULL (the C PULL's rate),
 *      vs a C PUSH, zeromq.js `await send`, pyzmq `await send`.
 *
 * Every peer is its own process (this file, with `peer MODE`, is the
 * zmqloop side; bench/zeromqjs_async_peer.mjs the Node side; pyzmq's is
 * inline below). Each row is the best of `--rounds=R` (default 1) runs.
 * `--quick` runs small counts (a smoke run), `--recv=N --rt=N --send=N` set
 * them; `--only=a,b,c,d` picks rows.
 * Writes bench/results/async.json.
 *
 * Needs gcc and zmq.h (`deno task setup --bench`), /usr/bin/python3 with
 * pyzmq, and node with zeromq.js (`deno task setup --interop`); a missing
 * baseline is reported and its ratio skipped.
 */

import { buildCBench } from "./_build.ts";
import {
  AsyncSocket,
  Context,
  IOLoop,
  LAST_ENDPOINT,
  LINGER,
  PULL,
  PUSH,
  REQ,
  ZMQStream,
} from "../mod.ts";

const here = new URL(".", import.meta.url).pathname;
const PY = "/usr/bin/python3";
const EP = "tcp://127.0.0.1:*";
const say = (value: unknown) => console.log(JSON.stringify(value));

/** One row of results/async.json (bench/run.ts reads them too). */
export interface AsyncRow {
  row: string;
  unit: string;
  zmqloop: number;
  c: number;
  zeromqjs: number | null;
  pyzmq: number | null;
  targets: string;
}

// ---------------------------------------------------------------- zmqloop peer

/** The zmqloop side, run in its own process as `async_bench.ts peer MODE EP N`. */
async function zmqloopPeer(mode: string, endpoint: string, n: number) {
  const ctx = new Context();
  const loop = new IOLoop();
  const payload = new Uint8Array(16).fill(120);
  if (mode === "pull-async" || mode === "pull-stream") {
    const raw = ctx.socket(PULL);
    const sock = mode === "pull-async"
      ? new AsyncSocket(raw, loop)
      : new ZMQStream(raw, loop);
    sock.bind(endpoint);
    say({ endpoint: String(raw.getsockopt(LAST_ENDPOINT)) });
    let seen = 0, t0 = 0;
    for await (const _msg of sock) {
      if (seen++ === 0) t0 = performance.now();
      if (seen === n) break;
    }
    say({ rate: Math.round((n - 1) / ((performance.now() - t0) / 1000)) });
    sock.close(0);
  } else if (mode === "req-async") {
    const sock = new AsyncSocket(ctx.socket(REQ), loop);
    sock.connect(endpoint);
    for (let i = 0; i < 100; i++) {
      await sock.send(payload);
      await sock.recvMultipart();
    }
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await sock.send(payload);
      await sock.recvMultipart();
    }
    say({ rtt_us: ((performance.now() - t0) * 1000) / n });
    sock.close(0);
  } else if (mode === "push-async") {
    const sock = new AsyncSocket(ctx.socket(PUSH), loop);
    sock.setsockopt(LINGER, -1);
    sock.connect(endpoint);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await sock.send(payload);
    say({ rate: Math.round(n / ((performance.now() - t0) / 1000)) });
    sock.close(); // LINGER -1: term() below waits until all is delivered
  } else {
    throw new RangeError(`Cannot run the peer: unknown mode "${mode}"`);
  }
  loop.close();
  ctx.term();
}

// ------------------------------------------------------------ pyzmq asyncio peer

const PYZMQ_ASYNCIO = `
import asyncio, json, sys, time
import zmq, zmq.asyncio

def out(value):
    print(json.dumps(value), flush=True)

async def main(mode, endpoint, n):
    ctx = zmq.asyncio.Context()
    payload = b"x" * 16
    if mode == "pull":
        s = ctx.socket(zmq.PULL)
        s.bind(endpoint)
        out({"endpoint": s.getsockopt_string(zmq.LAST_ENDPOINT)})
        await s.recv_multipart()
        t0 = time.perf_counter()
        for _ in range(n - 1):
            await s.recv_multipart()
        out({"rate": round((n - 1) / (time.perf_counter() - t0))})
    elif mode == "req":
        s = ctx.socket(zmq.REQ)
        s.connect(endpoint)
        for _ in range(100):
            await s.send(payload)
            await s.recv_multipart()
        t0 = time.perf_counter()
        for _ in range(n):
            await s.send(payload)
            await s.recv_multipart()
        out({"rtt_us": (time.perf_counter() - t0) * 1e6 / n})
    elif mode == "push":
        s = ctx.socket(zmq.PUSH)
        s.setsockopt(zmq.LINGER, -1)
        s.connect(endpoint)
        t0 = time.perf_counter()
        for _ in range(n):
            await s.send(payload)
        out({"rate": round(n / (time.perf_counter() - t0))})
    s.close()
    ctx.term()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
`;

// ---------------------------------------------------------------- the driver

/** A peer process: its first JSON line has the endpoint, its last the result. */
class Peer {
  readonly name: string;
  readonly #child: Deno.ChildProcess;
  readonly #lines: Promise<string[]>;
  #first: Promise<string> | null = null;
  #reader: ReadableStreamDefaultReader<string>;
  #seen: string[] = [];
  #buffer = "";

  constructor(cmd: string, args: string[]) {
    this.name = [cmd.split("/").pop(), ...args.slice(-3)].join(" ");
    this.#child = new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "inherit",
      stdin: "null",
    }).spawn();
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    this.#lines = this.#readAll();
  }

  async #nextLine(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.trim()) return line;
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#buffer += value;
    }
  }

  async #readAll(): Promise<string[]> {
    await (this.#first ??= this.#readFirst());
    for (let line; (line = await this.#nextLine()) !== null;) {
      this.#seen.push(line);
    }
    return this.#seen;
  }

  async #readFirst(): Promise<string> {
    const line = await this.#nextLine();
    if (line === null) throw new Error(`${this.name}: exited without output`);
    this.#seen.push(line);
    return line;
  }

  /** The endpoint the peer bound. */
  async endpoint(): Promise<string> {
    return JSON.parse(await (this.#first ??= this.#readFirst())).endpoint;
  }

  /** The peer's last line, once it exited 0 (killed after `timeoutMs`). */
  // deno-lint-ignore no-explicit-any
  async result(timeoutMs = 180_000): Promise<any> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      this.#child.status,
      new Promise<null>((r) => timer = setTimeout(() => r(null), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (!status) {
      this.#child.kill("SIGKILL");
      await this.#child.status;
      throw new Error(`${this.name}: timed out after ${timeoutMs} ms`);
    }
    const lines = await this.#lines;
    if (!status.success) {
      throw new Error(`${this.name}: exit code ${status.code}`);
    }
    return JSON.parse(lines[lines.length - 1]!);
  }
}

type Side = (...args: string[]) => Peer;
/** What the peers print last (each prints one of them). */
type Result = { rate: number; rtt_us: number };

async function available(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "null",
    })
      .output()).success;
  } catch {
    return false;
  }
}

async function main() {
  const quick = Deno.args.includes("--quick");
  const arg = (name: string) =>
    Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = arg("only")?.split(",");
  const rounds = Number(arg("rounds") ?? 1);
  const wants = (row: string) => !only || only.includes(row);
  const count = (name: string, full: number, small: number) =>
    Number(arg(name) ?? (quick ? small : full));
  const RECV = count("recv", 1_000_000, 50_000);
  const RT = count("rt", 20_000, 2_000);
  const SEND = count("send", 200_000, 20_000);

  const bin = `${here}bin/zmqbench`;
  await buildCBench(bin);
  const c: Side = (...a) => new Peer(bin, a);
  const zmqloop: Side = (...a) =>
    new Peer(Deno.execPath(), [
      "run",
      "-A",
      `${here}async_bench.ts`,
      "peer",
      ...a,
    ]);
  const node: Side | null = await available("node", [
      "-e",
      `require(require("module").createRequire(${
        JSON.stringify(`${here}../tests/peers/package.json`)
      }).resolve("zeromq"))`,
    ])
    ? (...a) => new Peer("node", [`${here}zeromqjs_async_peer.mjs`, ...a])
    : null;
  const py: Side | null = await available(PY, ["-c", "import zmq.asyncio"])
    ? (...a) => new Peer(PY, ["-c", PYZMQ_ASYNCIO, ...a])
    : null;
  if (!node) console.error("zeromq.js is missing: deno task setup --interop");
  if (!py) console.error("pyzmq is missing for /usr/bin/python3");

  /** Best of `rounds`: the bound side first, then the connecting side. */
  async function measure(
    server: () => Peer,
    client: (ep: string) => Peer,
    pick: (server: Result, client: Result) => number,
    better: (a: number, b: number) => number,
  ): Promise<number> {
    let best = NaN;
    for (let r = 0; r < rounds; r++) {
      const s = server();
      const cl = client(await s.endpoint());
      const [sr, cr] = await Promise.all([s.result(), cl.result()]);
      const v = pick(sr, cr);
      best = Number.isNaN(best) ? v : better(best, v);
    }
    return best;
  }
  const faster = Math.max, lower = Math.min;

  const rows: AsyncRow[] = [];

  if (wants("a") || wants("d")) {
    const recvRate = (receiver: Side | null, mode: string) =>
      receiver
        ? measure(
          () => receiver(mode, EP, String(RECV)),
          (ep) => c("push", ep, String(RECV), "16"),
          (s) => s.rate,
          faster,
        )
        : Promise.resolve(null);
    const cRate = (await recvRate(c, "pull"))!;
    const nodeRate = await recvRate(node, "pull");
    const pyRate = await recvRate(py, "pull");
    const recvRow = async (label: string, mode: string, targets: string) =>
      rows.push({
        row: `${label}, ${RECV} x 16 B from a C PUSH`,
        unit: "msg/s",
        zmqloop: (await recvRate(zmqloop, mode))!,
        c: cRate,
        zeromqjs: nodeRate,
        pyzmq: pyRate,
        targets,
      });
    if (wants("a")) {
      await recvRow(
        "a. for await AsyncSocket PULL",
        "pull-async",
        ">= 5x zeromq.js, >= 0.4x C",
      );
    }
    if (wants("d")) {
      await recvRow("d. for await ZMQStream PULL", "pull-stream", "as a.");
    }
  }

  if (wants("b")) {
    const rtt = (client: Side | null, mode: string) =>
      client
        ? measure(
          () => c("rep", EP, String(RT + 100)),
          (ep) => client(mode, ep, String(RT), "16"),
          (_s, cl) => cl.rtt_us,
          lower,
        )
        : Promise.resolve(null);
    rows.push({
      row: `b. REQ await send + await recv, ${RT} round trips to a C REP`,
      unit: "us",
      zmqloop: (await rtt(zmqloop, "req-async"))!,
      c: (await rtt(c, "req"))!,
      zeromqjs: await rtt(node, "req"),
      pyzmq: await rtt(py, "req"),
      targets: "<= 1.0x C, <= 0.8x zeromq.js",
    });
  }

  if (wants("c")) {
    const sendRate = (sender: Side | null, mode: string) =>
      sender
        ? measure(
          () => c("pull", EP, String(SEND)),
          (ep) => sender(mode, ep, String(SEND), "16"),
          (s) => s.rate,
          faster,
        )
        : Promise.resolve(null);
    rows.push({
      row: `c. await send each, ${SEND} x 16 B to a C PULL (its rate)`,
      unit: "msg/s",
      zmqloop: (await sendRate(zmqloop, "push-async"))!,
      c: (await sendRate(c, "push"))!,
      zeromqjs: await sendRate(node, "push"),
      pyzmq: await sendRate(py, "push"),
      targets: ">= 3x zeromq.js, >= 0.2x C",
    });
  }

  const fmt = (v: number | null) =>
    v === null
      ? "-"
      : v >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : v >= 1e4
      ? `${(v / 1e3).toFixed(0)}k`
      : v.toFixed(1);
  // zmqloop / baseline: for throughput higher is better, for latency lower.
  const ratio = (row: AsyncRow, base: number | null) =>
    base === null ? null : row.zmqloop / base;
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?"))
    .split(" ").slice(0, 3).join(" ");
  console.log(
    `issue 13 async rows, best of ${rounds} (load average ${load}; ratios are zmqloop / baseline)`,
  );
  const out = [];
  for (const r of rows) {
    const vsC = ratio(r, r.c), vsNode = ratio(r, r.zeromqjs);
    const vsPy = ratio(r, r.pyzmq);
    const x = (v: number | null) => v === null ? "-" : `${v.toFixed(2)}x`;
    console.log(r.row);
    console.log(
      `  zmqloop ${fmt(r.zmqloop)} ${r.unit} | C ${fmt(r.c)} (${
        x(vsC)
      }) | zeromq.js ${fmt(r.zeromqjs)} (${x(vsNode)}) | pyzmq asyncio ${
        fmt(r.pyzmq)
      } (${x(vsPy)}) | target ${r.targets}`,
    );
    out.push({ ...r, vsC, vsZeromqjs: vsNode, vsPyzmq: vsPy });
  }
  await Deno.mkdir(`${here}results`, { recursive: true });
  await Deno.writeTextFile(
    `${here}results/async.json`,
    JSON.stringify(
      { date: new Date().toISOString(), load, rounds, quick, rows: out },
      null,
      2,
    ),
  );
}

if (import.meta.main) {
  if (Deno.args[0] === "peer") {
    await zmqloopPeer(Deno.args[1]!, Deno.args[2]!, Number(Deno.args[3]));
  } else await main();
}
