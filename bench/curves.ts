/**
 * `deno task bench:curves`: cost curves in the terms libzmq's and pyzmq's
 * perf/ tools publish, so zmqloop's numbers can be set beside theirs. All
 * measured in one run over tcp loopback:
 *
 * - throughput over message sizes 8 B … 128 KiB (powers of two), local_thr
 *   style: a C PUSH sends N messages, the receiver binds a PULL and times
 *   from its first message to its last. Receivers: C libzmq, zmqloop's
 *   ZMQStream (onRecv, bench/peer.ts pull-stream), pyzmq with a blocking
 *   recv() loop (bench/curves_peer.py, as pyzmq's perf/ does) and pyzmq's
 *   ZMQStream on tornado (bench/peer.py pull-stream);
 * - the same as parts per message grow (1, 4, 16 parts of 16 B);
 * - latency, local_lat/remote_lat style: both ends the same implementation,
 *   the REQ side times round trips; one way is half a round trip.
 *
 * `--quick` runs fewer sizes and smaller counts. Writes
 * bench/results/curves.json and, for a full run, bench/curves.svg. The cost
 * per message as registered sockets grow is in `deno task bench` (the idle
 * neighbour rows). Run with `--peer req EP N SIZE` it is zmqloop's REQ
 * client for the latency runs.
 *
 * @module
 */

import { Context, IOLoop, REQ, ZMQStream, zmqVersion } from "../mod.ts";
import {
  type CurvesResult,
  type Impl,
  IMPLS,
  renderCurves,
} from "./curves_chart.ts";

const here = new URL(".", import.meta.url).pathname;
const PY = "/usr/bin/python3";
const EP = "tcp://127.0.0.1:*";
const cSource = `${here}c/curves.c`;
const cBin = `${here}bin/curves`;

/** zmqloop's REQ client (a ZMQStream): 100 warm-up, then N round trips. */
async function reqPeer(endpoint: string, n: number, size: number) {
  const ctx = new Context();
  const loop = new IOLoop();
  const stream = new ZMQStream(ctx.socket(REQ), loop);
  stream.connect(endpoint);
  const payload = new Uint8Array(size).fill(120);
  let count = -100, t0 = 0;
  stream.onRecv(() => {
    if (++count === 0) t0 = performance.now();
    if (count === n) loop.stop();
    else stream.sendMultipart([payload]);
  });
  stream.sendMultipart([payload]);
  await loop.start();
  const rtt = (performance.now() - t0) * 1000 / n;
  console.log(JSON.stringify({ rtt_us: rtt, one_way_us: rtt / 2 }));
  stream.close();
  await loop.closeAndWait();
  ctx.destroy();
}

/** Compiles bench/c/curves.c when the binary is missing or older. */
async function buildC(): Promise<void> {
  const mtime = async (p: string) =>
    (await Deno.stat(p).catch(() => null))?.mtime?.getTime() ?? 0;
  if (await mtime(cBin) >= await mtime(cSource)) return;
  await Deno.mkdir(`${here}bin`, { recursive: true });
  const r = await new Deno.Command("cc", {
    args: ["-O2", "-o", cBin, cSource, "-lzmq"],
  }).output();
  if (!r.success) {
    throw new Error(
      `Cannot build "${cSource}" (cc and zmq.h needed: deno task setup --bench):\n${
        new TextDecoder().decode(r.stderr)
      }`,
    );
  }
}

/** A peer process: its first JSON line (an endpoint) and its last (the result). */
function spawn(cmd: string, args: string[], timeoutMs = 120_000) {
  const name = [cmd.split("/").pop(), ...args].join(" ");
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  let gotFirst: (line: string) => void = () => {};
  const first = new Promise<string>((r) => gotFirst = r);
  // deno-lint-ignore no-explicit-any
  const last = (async (): Promise<any> => {
    const lines: string[] = [];
    let buffered = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      const parts = (buffered + chunk).split("\n");
      buffered = parts.pop()!;
      for (const line of parts.filter((l) => l.trim())) {
        if (lines.push(line) === 1) gotFirst(line);
      }
    }
    const status = await child.status;
    clearTimeout(timer);
    if (!status.success || !lines.length) {
      throw new Error(
        `${name}: exit code ${status.code}${
          status.signal ? ` (${status.signal}, timeout ${timeoutMs} ms?)` : ""
        }`,
      );
    }
    return JSON.parse(lines.at(-1)!);
  })();
  return {
    /** The endpoint a binding peer printed first. */
    endpoint: async (): Promise<string> =>
      JSON.parse(await Promise.race([first, last.then(() => "{}")])).endpoint,
    result: () => last,
  };
}

type Proc = ReturnType<typeof spawn>;
const c = (...a: (string | number)[]) => spawn(cBin, a.map(String));
const zl = (file: string, ...a: (string | number)[]) =>
  spawn(Deno.execPath(), ["run", "-A", `${here}${file}`, ...a.map(String)]);
const py = (file: string, ...a: (string | number)[]) =>
  spawn(PY, [`${here}${file}`, ...a.map(String)]);

/** Binds `server` first, then starts `client` on its endpoint; both results. */
async function pair(server: Proc, client: (ep: string) => Proc) {
  const ep = await server.endpoint();
  if (!ep) throw new Error("Cannot start a peer: it printed no endpoint");
  const [s, r] = await Promise.all([server.result(), client(ep).result()]);
  return { server: s, client: r };
}

/** The receiver of one throughput point, by implementation. */
const receivers: Record<Impl, (n: number, parts: number) => Proc> = {
  c: (n) => c("pull", EP, n),
  zmqloop: (n) => zl("peer.ts", "pull-stream", EP, n),
  pyzmq: (n, parts) => py("curves_peer.py", "pull", EP, n, parts),
  pyzmqStream: (n) => py("peer.py", "pull-stream", EP, n),
};

/** msg/s of `impl` receiving `n` messages of `parts` × `size` B from a C PUSH. */
async function throughput(
  impl: Impl,
  n: number,
  size: number,
  parts: number,
): Promise<number> {
  const { server } = await pair(
    receivers[impl](n, parts),
    (ep) => c("push", ep, n, size, parts),
  );
  return server.rate;
}

/** Round trip in µs, both ends `impl` (pyzmqStream has no latency run). */
async function roundTrip(impl: Impl, n: number, size: number) {
  const server = impl === "c"
    ? c("rep", EP, n + 100)
    : impl === "zmqloop"
    ? zl("peer.ts", "rep-stream", EP, n) // adds the 100 warm-up itself
    : py("curves_peer.py", "rep", EP, n + 100);
  const client = (ep: string) =>
    impl === "c"
      ? c("req", ep, n, size)
      : impl === "zmqloop"
      ? zl("curves.ts", "--peer", "req", ep, n, size)
      : py("curves_peer.py", "req", ep, n, size);
  return (await pair(server, client)).client.rtt_us as number;
}

const fmt = (n: number) =>
  n >= 1e6
    ? `${(n / 1e6).toFixed(2)}M`
    : n >= 1e4
    ? `${(n / 1e3).toFixed(0)}k`
    : n.toFixed(n < 10 ? 2 : 1);
const fmtCount = (n: number) => n >= 1e4 ? fmt(n) : String(n);
const sizeLabel = (b: number) => b >= 1024 ? `${b / 1024} KiB` : `${b} B`;

async function main(quick: boolean) {
  const started = performance.now();
  const load = Deno.loadavg()[0] ?? 0; // other work on the machine, before ours
  await buildC();
  // Counts: 1M messages (quick: 300k), capped at 1 GiB (quick: 32 MiB) per
  // point; pyzmq's ZMQStream, ~50x slower, gets a tenth of the messages.
  const MAX_MSGS = quick ? 300_000 : 1_000_000;
  const MAX_BYTES = quick ? 32 << 20 : 1 << 30;
  const count = (impl: Impl, bytesPerMsg: number, partsPerMsg = 1) =>
    Math.max(
      1000,
      Math.min(
        impl === "pyzmqStream" ? MAX_MSGS / 10 : MAX_MSGS,
        Math.floor(MAX_BYTES / bytesPerMsg),
        Math.floor(4 * MAX_MSGS / partsPerMsg), // at most 4M parts
      ),
    );
  const sizes = quick
    ? [8, 64, 512, 4096, 32768, 131072]
    : Array.from({ length: 15 }, (_, i) => 8 << i);
  const result: CurvesResult = {
    date: new Date().toISOString(),
    quick,
    subtitle: "",
    sizes: [],
    parts: [],
    latency: [],
    seconds: 0,
  };
  const point = async (size: number, parts: number) => {
    const counts = {} as Record<Impl, number>;
    const rates = {} as Record<Impl, number>;
    // Implementations interleaved per point, so drift on this shared
    // machine hits them all alike.
    for (const impl of IMPLS) {
      counts[impl] = count(impl, size * parts, parts);
      rates[impl] = await throughput(impl, counts[impl], size, parts);
    }
    const line = IMPLS.map((i) =>
      `${i} ${fmt(rates[i])} (${(rates[i] / rates.c).toFixed(2)}× C)`
    ).join(", ");
    console.error(
      `  ${parts} × ${sizeLabel(size)}: ${line}; n = ${
        IMPLS.map((i) => fmtCount(counts[i])).join("/")
      }`,
    );
    return { size, parts, counts, rates };
  };
  console.error("throughput over message sizes (C PUSH -> receiver, tcp)");
  for (const size of sizes) result.sizes.push(await point(size, 1));
  console.error("throughput over parts per message (16 B parts)");
  for (const parts of [1, 4, 16]) result.parts.push(await point(16, parts));
  console.error("latency (REQ <-> REP, both ends the same implementation)");
  for (const size of [16, 1024, 65536]) {
    const n = (quick ? 2_000 : 20_000) / (size >= 65536 ? 4 : 1);
    const rtt = {} as Record<Impl, number>;
    for (const impl of ["c", "zmqloop", "pyzmq"] as const) {
      rtt[impl] = await roundTrip(impl, n, size);
    }
    console.error(
      `  ${sizeLabel(size)}: ${
        Object.entries(rtt).map(([k, v]) => `${k} ${v.toFixed(1)} µs`).join(
          ", ",
        )
      } round trip; n = ${n}`,
    );
    result.latency.push({ size, count: n, rtt });
  }
  result.seconds = (performance.now() - started) / 1000;
  // Deno reads /proc only with --allow-all, so ask cat.
  const cpuinfo = await new Deno.Command("cat", { args: ["/proc/cpuinfo"] })
    .output().then((o) => new TextDecoder().decode(o.stdout), () => "");
  const cpu = cpuinfo.match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  result.subtitle = `${
    result.date.slice(0, 10)
  }, Deno ${Deno.version.deno}, libzmq ${zmqVersion()}, ${cpu}, ${navigator.hardwareConcurrency} cores${
    load > 0.5
      ? `, measured under load (load average ${load.toFixed(1)} at start)`
      : ""
  }${quick ? ", quick run" : ""}; ${
    result.seconds.toFixed(0)
  } s. Reproduce: deno task bench:curves`;
  printTables(result);
  await Deno.mkdir(`${here}results`, { recursive: true });
  await Deno.writeTextFile(
    `${here}results/curves.json`,
    JSON.stringify(result, null, 2),
  );
  if (!quick) {
    await Deno.writeTextFile(`${here}curves.svg`, renderCurves(result));
    console.log("\nchart: bench/curves.svg");
  }
}

/** Prints the run as markdown tables (msg/s, MB/s = 10^6 payload bytes/s). */
function printTables(r: CurvesResult) {
  const names: Record<Impl, string> = {
    c: "C",
    zmqloop: "zmqloop",
    pyzmq: "pyzmq recv()",
    pyzmqStream: "pyzmq ZMQStream",
  };
  console.log(`\nzmqloop cost curves — ${r.subtitle}\n`);
  const table = (rows: CurvesResult["sizes"], key: "size" | "parts") => {
    console.log(
      `| ${key === "size" ? "size" : "parts × 16 B"} | ${
        IMPLS.map((i) => `${names[i]} msg/s, MB/s${i === "c" ? "" : ", × C"}`)
          .join(" | ")
      } | messages (${IMPLS.map((i) => names[i]).join(" / ")}) |`,
    );
    console.log(`|---|${IMPLS.map(() => "---:|").join("")}---:|`);
    for (const p of rows) {
      const cells = IMPLS.map((i) => {
        const mbps = p.rates[i] * p.size * p.parts / 1e6;
        return `${fmt(p.rates[i])}, ${fmt(mbps)}${
          i === "c" ? "" : `, ${(p.rates[i] / p.rates.c).toFixed(2)}`
        }`;
      });
      console.log(
        `| ${key === "size" ? sizeLabel(p.size) : p.parts} | ${
          cells.join(" | ")
        } | ${IMPLS.map((i) => fmtCount(p.counts[i])).join(" / ")} |`,
      );
    }
    console.log();
  };
  table(r.sizes, "size");
  table(r.parts, "parts");
  console.log(
    "| size | C one way (round trip) | zmqloop | × C | pyzmq | × C | round trips |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const l of r.latency) {
    const ow = (i: "c" | "zmqloop" | "pyzmq") =>
      `${(l.rtt[i] / 2).toFixed(1)} µs (${l.rtt[i].toFixed(1)})`;
    console.log(
      `| ${sizeLabel(l.size)} | ${ow("c")} | ${ow("zmqloop")} | ${
        (l.rtt.zmqloop / l.rtt.c).toFixed(2)
      } | ${ow("pyzmq")} | ${(l.rtt.pyzmq / l.rtt.c).toFixed(2)} | ${
        fmtCount(l.count)
      } |`,
    );
  }
  console.log(`\nthe run took ${r.seconds.toFixed(0)} s`);
}

if (Deno.args[0] === "--peer") {
  const [mode, ep, n, size] = Deno.args.slice(1);
  if (mode !== "req" || !ep) {
    console.error(`curves: unknown peer mode ${mode}`);
    Deno.exit(2);
  }
  await reqPeer(ep, Number(n), Number(size));
} else {
  await main(Deno.args.includes("--quick"));
}
