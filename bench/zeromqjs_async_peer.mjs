// zeromq.js 6 on Node for bench/async_bench.ts (the `for await` / `await`
// baselines of issue 13). Prints JSON lines: {"endpoint"} once bound, then
// the result. zeromq.js comes from tests/peers/node_modules (`deno task
// setup --interop` installs it).
//
//   pull EP N   Pull binds EP, `for await` over N messages: {"rate"} first to last
//   req EP N    Request connects, 100 warm-up then N `await send` + `await receive`: {"rtt_us"}
//   push EP N   Push connects, N x 16 B, `await send` each: {"rate"} of the sender
import { createRequire } from "node:module";

const require = createRequire(
  new URL("../tests/peers/package.json", import.meta.url),
);
const zmq = require("zeromq");
const [mode, endpoint, count] = process.argv.slice(2);
const n = Number(count);
const say = (value) => console.log(JSON.stringify(value));
const payload = Buffer.alloc(16, "x");

if (mode === "pull") {
  const sock = new zmq.Pull();
  await sock.bind(endpoint);
  say({ endpoint: sock.lastEndpoint });
  let seen = 0, t0 = 0;
  for await (const [_msg] of sock) {
    if (seen++ === 0) t0 = performance.now();
    if (seen === n) break;
  }
  say({ rate: Math.round((n - 1) / ((performance.now() - t0) / 1000)) });
  sock.close();
} else if (mode === "req") {
  const sock = new zmq.Request();
  sock.connect(endpoint);
  for (let i = 0; i < 100; i++) {
    await sock.send(payload);
    await sock.receive();
  }
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await sock.send(payload);
    await sock.receive();
  }
  say({ rtt_us: ((performance.now() - t0) * 1000) / n });
  sock.close();
} else if (mode === "push") {
  const sock = new zmq.Push({ linger: -1 });
  sock.connect(endpoint);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await sock.send(payload);
  say({ rate: Math.round(n / ((performance.now() - t0) / 1000)) });
  sock.close();
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
