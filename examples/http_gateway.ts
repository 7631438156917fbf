/**
 * An HTTP gateway in front of ZeroMQ workers: `Deno.serve` answers each
 * HTTP request by asking a worker over one DEALER socket. Every request
 * carries its own id in the envelope (`[id, "", op, arg]`), so any number of
 * requests are in flight at once and each reply finds its HTTP request,
 * whatever order the workers answer in. A request waits at most
 * `TIMEOUT_MS`, then gets 504; a late reply is dropped.
 *
 * The workers are DEALER sockets (`AsyncSocket`, awaited like
 * `zmq.asyncio`) in the same process, connected to the front DEALER, which
 * deals requests to them in turn; each works on all it is dealt at once and
 * sends the reply back under the request's envelope. Routes:
 *
 * - `GET /upper?text=hi` → 200 `HI (worker-2)`
 * - `GET /sleep?ms=200` → 200 after 200 ms; 504 when longer than the timeout
 * - `GET /fail` → the worker fails: 502
 * - a missing or bad parameter → 400; another path → 404
 *
 * Run: deno task http_gateway [endpoint] [count] [port]
 * (the workers' endpoint; count: HTTP requests to answer, 0 or none until
 * Ctrl-C; port 0 or none: a free one)
 */

import { AsyncSocket, DEALER } from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

/** How long an HTTP request waits for its worker's reply. */
export const TIMEOUT_MS = 1000;
const WORKERS = 3;
const MAX_SLEEP_MS = 60_000;
const decoder = new TextDecoder();

/** Parses the HTTP port argument (0: a free port). */
export function parsePort(raw: string | undefined): number {
  const port = Number(raw ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot parse the port: expected an integer 0-65535, got "${raw}"`,
    );
  }
  return port;
}

/** Resolves after `ms`, or rejects with the signal's reason. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** What a worker does for one request; throws to fail it. */
async function work(op: string, arg: string, signal: AbortSignal) {
  if (op === "upper") return arg.toUpperCase();
  if (op === "sleep") {
    await sleep(Number(arg), signal);
    return `slept ${arg} ms`;
  }
  throw new Error(`Worker cannot do "${op}"`);
}

/** Turns an HTTP request into a worker request, or an HTTP error. */
function parseRequest(request: Request): [op: string, arg: string] | Response {
  const url = new URL(request.url);
  const text = (body: string, status: number) => new Response(body, { status });
  if (request.method !== "GET") return text("Only GET is served\n", 405);
  const op = url.pathname.slice(1);
  if (op === "upper") {
    const arg = url.searchParams.get("text");
    if (arg === null) return text('Missing the "text" parameter\n', 400);
    return [op, arg];
  }
  if (op === "sleep") {
    const arg = url.searchParams.get("ms") ?? "";
    const ms = Number(arg);
    if (!/^\d+$/.test(arg) || ms > MAX_SLEEP_MS) {
      return text(
        `Cannot sleep "${arg}" ms: expected 0-${MAX_SLEEP_MS}\n`,
        400,
      );
    }
    return [op, arg];
  }
  if (op === "fail") return [op, ""];
  return text(`No route for ${url.pathname}\n`, 404);
}

if (import.meta.main) {
  await runExample(
    "http_gateway",
    0,
    ({ context, loop, endpoint, count, log, own, finish }) => {
      const port = parsePort(Deno.args[2]);
      // Ends the workers' sleeps at exit, so no timer outlives the example.
      const exiting = new AbortController();
      own({ stop: () => exiting.abort() });

      const front = own(new AsyncSocket(context.socket(DEALER), loop));
      front.bind(endpoint);

      // The workers: a DEALER socket each, working on every request it is
      // dealt at once (a REP worker would answer one at a time, so a slow
      // request would hold up those dealt to it after).
      for (let i = 1; i <= WORKERS; i++) {
        const worker = own(new AsyncSocket(context.socket(DEALER), loop));
        worker.connect(boundEndpoint(front.socket));
        const answer = async (
          envelope: Uint8Array[],
          op: string,
          arg: string,
        ) => {
          let reply: string[];
          try {
            const result = await work(op, arg, exiting.signal);
            reply = ["ok", `${result} (worker-${i})`];
          } catch (error) {
            if (exiting.signal.aborted) return;
            reply = ["error", (error as Error).message];
          }
          await worker.sendMultipart([...envelope, ...reply]);
        };
        (async () => {
          for await (const [id, empty, op, arg] of worker) {
            answer([id!, empty!], decoder.decode(op), decoder.decode(arg))
              .catch(() => {}); // closed at exit: nobody waits for it
          }
        })();
      }

      // Replies from any worker, matched to their request by id.
      const pending = new Map<string, (reply: Uint8Array[]) => void>();
      (async () => {
        for await (const [id, _empty, ...reply] of front) {
          pending.get(decoder.decode(id))?.(reply); // a late reply: dropped
        }
      })().catch((error) => log(`gateway stopped: ${error}`));

      let nextId = 0;
      let answered = 0;
      const ask = async (op: string, arg: string, signal: AbortSignal) => {
        const id = String(++nextId);
        const reply = Promise.withResolvers<Uint8Array[]>();
        pending.set(id, reply.resolve);
        const onAbort = () => reply.reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          // A send still queued when the signal aborts is dropped, unsent.
          const send = front.sendMultipart([id, "", op, arg], 0, { signal });
          return (await Promise.all([reply.promise, send]))[0];
        } finally {
          pending.delete(id);
          signal.removeEventListener("abort", onAbort);
        }
      };

      const handle = async (request: Request): Promise<Response> => {
        const parsed = parseRequest(request);
        if (parsed instanceof Response) return parsed;
        const signal = AbortSignal.timeout(TIMEOUT_MS);
        try {
          const [status, body] = await ask(...parsed, signal);
          return new Response(`${decoder.decode(body)}\n`, {
            status: decoder.decode(status) === "ok" ? 200 : 502,
          });
        } catch (error) {
          const timedOut = (error as Error).name === "TimeoutError";
          return new Response(
            timedOut
              ? `No reply from a worker within ${TIMEOUT_MS} ms\n`
              : `Cannot ask a worker: ${(error as Error).message}\n`,
            { status: timedOut ? 504 : 503 },
          );
        }
      };

      const server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        onListen: ({ port }) => log(`listening on http://127.0.0.1:${port}/`),
      }, async (request) => {
        const response = await handle(request);
        if (++answered === count) finish();
        return response;
      });
      own(server); // shut down first: answers what is in flight
    },
  );
}
