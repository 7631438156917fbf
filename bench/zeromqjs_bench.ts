/**
 * `deno task bench:zeromqjs`: zeromq.js's own benchmark scenarios (queue,
 * deliver, deliver-multipart, deliver-async-iterator; tcp and inproc; 1 B to
 * 64 KiB) run by Deno on compat/zeromq.ts and by Node on zeromq.js 6, the
 * same scenario code (bench/zeromqjs_scenarios.js) for both. Prints a table
 * of messages per second and the ratio; the target is 2x in every deliver
 * row. Each row is the best of `--rounds` runs of `--n` messages, and the
 * two runtimes alternate `--passes` times (the machine's load drifts).
 * Writes bench/results/zeromqjs.json.
 *
 * Needs node and zeromq.js in tests/peers/node_modules: `deno task setup
 * --bench` installs it.
 */

import * as zmq from "../compat/zeromq.ts";
import { runAll } from "./zeromqjs_scenarios.js";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
    fallback;
const n = Number(arg("n", "5000"));
const rounds = Number(arg("rounds", "3"));
const passes = Number(arg("passes", "2"));
const only = arg("only", "") || undefined;
const here = new URL(".", import.meta.url).pathname;

type Results = Record<string, number>;

async function node(): Promise<Results> {
  const out = await new Deno.Command("node", {
    args: [`${here}zeromqjs_node.mjs`, String(n), String(rounds), only ?? ""],
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("The zeromq.js run on Node failed");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const best = (into: Results, from: Results) => {
  for (const [k, v] of Object.entries(from)) {
    into[k] = Math.max(into[k] ?? 0, v);
  }
};

const deno: Results = {}, nodeJs: Results = {};
for (let p = 0; p < passes; p++) {
  best(nodeJs, await node());
  best(deno, await runAll(zmq, { n, rounds, only }));
}

const fmt = (v: number) => Math.round(v).toLocaleString("en-US").padStart(9);
console.log(
  `zeromq.js scenarios, n=${n}, best of ${rounds} x ${passes} (msg/s; measured under load)`,
);
console.log(
  `${"scenario".padEnd(34)} ${"zmqloop".padStart(9)} ${
    "zeromq.js".padStart(9)
  }  ratio`,
);
const rows = [];
for (const key of Object.keys(deno)) {
  const ratio = deno[key]! / nodeJs[key]!;
  const target = key.startsWith("deliver") ? 2 : null;
  const mark = target === null ? "" : ratio >= target ? "  ok" : "  < 2x";
  console.log(
    `${key.padEnd(34)} ${fmt(deno[key]!)} ${fmt(nodeJs[key]!)}  ${
      ratio.toFixed(2)
    }x${mark}`,
  );
  rows.push({ row: key, zmqloop: deno[key], zeromqjs: nodeJs[key], ratio });
}
await Deno.mkdir(`${here}results`, { recursive: true });
await Deno.writeTextFile(
  `${here}results/zeromqjs.json`,
  JSON.stringify(
    { date: new Date().toISOString(), n, rounds, passes, rows },
    null,
    2,
  ),
);
