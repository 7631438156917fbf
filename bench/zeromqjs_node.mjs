// Node side of bench/zeromqjs_bench.ts: runs the scenarios on zeromq.js
// (installed by `deno task setup --node` in tests/peers/node_modules) and
// prints the results as one JSON line.
import { createRequire } from "node:module";
import { runAll } from "./zeromqjs_scenarios.js";

const require = createRequire(
  new URL("../tests/peers/package.json", import.meta.url),
);
const zmq = require("zeromq");
const [n, rounds, only] = process.argv.slice(2);
const results = await runAll(zmq, {
  n: Number(n ?? 5000),
  rounds: Number(rounds ?? 3),
  only: only || undefined,
});
console.log(JSON.stringify(results));
process.exit(0);
