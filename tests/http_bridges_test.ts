/**
 * The HTTP bridges (examples/http_gateway.ts, examples/sse.ts) run as
 * subprocesses and are driven by a real HTTP client (`fetch`).
 */

import assert from "node:assert/strict";
import { TIMEOUT_MS } from "../examples/http_gateway.ts";
import { runDeno } from "./_helpers.ts";

const FLAGS = ["--allow-ffi", "--allow-env", "--allow-net=127.0.0.1"];
const example = (name: string) =>
  new URL(`../examples/${name}.ts`, import.meta.url).pathname;

/** A running example: its URL, its output so far, and how to stop it. */
interface Server {
  url: string;
  child: Deno.ChildProcess;
  /** Resolves once stdout matches `pattern` (bounded by the deadline). */
  waitFor(pattern: RegExp): Promise<void>;
  /**
   * Sends SIGINT (once), then resolves with the exit code and all output.
   */
  interrupt(): Promise<Exit>;
  /** Resolves with the exit code and all output once it exits by itself. */
  exited(): Promise<Exit>;
}

/** How an example ended. */
interface Exit {
  code: number;
  out: string;
  stderr: string;
}

/** Starts an example on a free port; resolves once it listens. */
async function start(
  name: string,
  args = ["tcp://127.0.0.1:*", "0"],
): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, example(name), ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  // All of stdout, read as it comes; `changed` resolves on each chunk.
  let out = "";
  let changed = Promise.withResolvers<boolean>();
  const reading = (async () => {
    for await (
      const text of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      out += text;
      changed.resolve(true);
      changed = Promise.withResolvers();
    }
    changed.resolve(false);
  })();
  const waitFor = async (pattern: RegExp) => {
    while (!pattern.test(out)) {
      if (!await changed.promise) {
        throw new Error(`${name} ended before printing ${pattern}: ${out}`);
      }
    }
  };
  let exit: Promise<Exit> | undefined;
  const stop = async (signal?: Deno.Signal): Promise<Exit> => {
    if (signal) child.kill(signal);
    await reading;
    const stderr = await new Response(child.stderr).text();
    const { code } = await child.status;
    clearTimeout(deadline);
    return { code, out, stderr };
  };
  const listening = /listening on (http:\/\/\S+)\n/;
  try {
    await waitFor(listening);
  } catch (error) {
    const { stderr } = await stop("SIGINT");
    throw new Error(`${(error as Error).message}${stderr}`);
  }
  return {
    url: out.match(listening)![1]!,
    child,
    waitFor,
    interrupt: () => exit ??= stop("SIGINT"),
    exited: () => exit ??= stop(),
  };
}

/** Asserts a clean exit on SIGINT: code 0, "<name>: closed", no stderr. */
async function assertInterrupts(server: Server, name: string) {
  const r = await server.interrupt();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.out, new RegExp(`${name}: closed\\n$`));
}

/** GET with a bound; resolves with the status, the body and the time. */
async function get(client: Deno.HttpClient, url: string) {
  const began = performance.now();
  const response = await fetch(url, {
    client,
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - began };
}

Deno.test("examples/http_gateway.ts", async (t) => {
  using client = Deno.createHttpClient({});
  const server = await start("http_gateway");
  try {
    await t.step(
      "20 concurrent requests each get their own reply",
      async () => {
        const replies = await Promise.all(
          Array.from(
            { length: 20 },
            (_, i) => get(client, `${server.url}upper?text=request-${i}`),
          ),
        );
        replies.forEach((r, i) => {
          assert.equal(r.status, 200, r.body);
          assert.match(
            r.body,
            new RegExp(`^REQUEST-${i} \\(worker-\\d\\)\\n$`),
          );
        });
      },
    );

    await t.step(
      "a slow request gets 504 after the timeout; others do not wait",
      async () => {
        // Still asleep at exit: the example must not wait for it.
        const slow = get(client, `${server.url}sleep?ms=30000`);
        const fast = await get(client, `${server.url}sleep?ms=10`);
        assert.equal(fast.status, 200, fast.body);
        assert.match(fast.body, /^slept 10 ms/);
        const r = await slow;
        assert.equal(r.status, 504, r.body);
        assert.match(r.body, /No reply from a worker within 1000 ms/);
        assert.ok(r.ms >= TIMEOUT_MS - 50, `504 after ${r.ms} ms`);
        assert.ok(r.ms < TIMEOUT_MS + 3000, `504 after ${r.ms} ms`);
      },
    );

    await t.step("a failing worker gives 502, bad input 400", async () => {
      const cases: [string, number, RegExp][] = [
        ["fail", 502, /Worker cannot do "fail"/],
        ["sleep?ms=soon", 400, /Cannot sleep "soon" ms/],
        ["sleep?ms=-1", 400, /Cannot sleep "-1" ms/],
        ["sleep", 400, /Cannot sleep "" ms/],
        ["upper", 400, /Missing the "text" parameter/],
        ["nowhere", 404, /No route for \/nowhere/],
      ];
      for (const [path, status, body] of cases) {
        const r = await get(client, server.url + path);
        assert.equal(r.status, status, `${path}: ${r.body}`);
        assert.match(r.body, body);
      }
      const post = await fetch(`${server.url}upper?text=x`, {
        client,
        method: "POST",
        body: "x",
      });
      assert.equal(post.status, 405);
      await post.body?.cancel();
    });

    await t.step("still answers after all that", async () => {
      const r = await get(client, `${server.url}upper?text=again`);
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /^AGAIN /);
    });
  } finally {
    await assertInterrupts(server, "http_gateway");
  }

  await t.step("with a count, exits 0 after answering that many", async () => {
    const counted = await start("http_gateway", ["tcp://127.0.0.1:*", "2"]);
    const replies = await Promise.all([
      get(client, `${counted.url}upper?text=a`),
      get(client, `${counted.url}nowhere`),
    ]);
    assert.deepEqual(replies.map((r) => r.status), [200, 404]);
    const r = await counted.exited();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.match(r.out, /http_gateway: closed\n$/);
  });
});

/** Reads SSE events from a response until `n` have arrived. */
async function readEvents(
  reader: ReadableStreamDefaultReader<string>,
  n: number,
): Promise<{ event: string; data: string }[]> {
  const events: { event: string; data: string }[] = [];
  let buffered = "";
  while (events.length < n) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`The event stream ended after ${events.length}`);
    buffered += value;
    let end;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const field = (name: string) =>
        frame.split("\n").find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2) ?? "";
      events.push({ event: field("event"), data: field("data") });
    }
  }
  return events;
}

/** Opens `/events` and returns a reader of its text. */
async function openEvents(client: Deno.HttpClient, url: string) {
  const response = await fetch(`${url}events`, { client });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  return response.body!.pipeThrough(new TextDecoderStream()).getReader();
}

Deno.test("examples/sse.ts", async (t) => {
  using client = Deno.createHttpClient({});
  const server = await start("sse");
  try {
    await t.step("serves a page that listens with EventSource", async () => {
      const response = await fetch(server.url, { client });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type")!, /^text\/html/);
      assert.match(await response.text(), /new EventSource\("\/events"\)/);
    });

    await t.step(
      "two concurrent readers both receive updates, in order",
      async () => {
        const readers = await Promise.all([
          openEvents(client, server.url),
          openEvents(client, server.url),
        ]);
        const timer = setTimeout(
          () => readers.forEach((r) => r.cancel(new Error("Timed out"))),
          10_000,
        );
        try {
          const all = await Promise.all(readers.map((r) => readEvents(r, 4)));
          for (const events of all) {
            const seqs = events.map(({ event, data }) => {
              assert.equal(event, "message");
              const m = data.match(/^update #(\d+) at \d\d:\d\d:\d\d\.\d{3}$/);
              assert.ok(m, data);
              return Number(m[1]);
            });
            for (let i = 1; i < seqs.length; i++) {
              assert.equal(seqs[i], seqs[i - 1]! + 1, `${seqs}`);
            }
          }
        } finally {
          clearTimeout(timer);
          await Promise.all(readers.map((r) => r.cancel()));
        }
      },
    );

    await t.step(
      "an open event stream ends when the server exits",
      async () => {
        const reader = await openEvents(client, server.url);
        await readEvents(reader, 1);
        const exit = assertInterrupts(server, "sse");
        const timer = setTimeout(() => reader.cancel(), 10_000);
        for (;;) if ((await reader.read()).done) break; // ended, not hung
        clearTimeout(timer);
        await exit;
      },
    );
  } finally {
    await assertInterrupts(server, "sse");
  }
});

Deno.test("examples/http_gateway.ts and sse.ts exit 0 on SIGINT with clients connected, 10 times each", async () => {
  using client = Deno.createHttpClient({});
  const run = async (name: string) => {
    const server = await start(name);
    if (name === "sse") {
      const reader = await openEvents(client, server.url);
      const stop = assertInterrupts(server, name);
      for (;;) if ((await reader.read()).done) break;
      await stop;
    } else {
      const pending = get(client, `${server.url}sleep?ms=30000`);
      await get(client, `${server.url}upper?text=x`); // the slow one is in
      await assertInterrupts(server, name);
      assert.equal((await pending).status, 504);
    }
  };
  for (let round = 0; round < 5; round++) {
    await Promise.all(["http_gateway", "sse"].flatMap((n) => [run(n), run(n)]));
  }
});

Deno.test("examples/http_gateway.ts and sse.ts report bad arguments in one line", async () => {
  const cases: [string, string[], RegExp][] = [
    [
      "http_gateway",
      ["bogus://x"],
      /^http_gateway: Cannot bind to "bogus:\/\/x"/,
    ],
    ["sse", ["bogus://x"], /^sse: Cannot bind to "bogus:\/\/x"/],
    [
      "sse",
      ["tcp://127.0.0.1:*", "0", "http"],
      /^sse: Cannot parse the port: expected an integer 0-65535, got "http"$/,
    ],
  ];
  await Promise.all(cases.map(async ([name, args, message]) => {
    const r = await runDeno(["run", ...FLAGS, example(name), ...args]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }));
});

Deno.test("examples/sse.ts with a count publishes that many updates and exits 0", async () => {
  const r = await runDeno([
    "run",
    ...FLAGS,
    example("sse"),
    "tcp://127.0.0.1:*",
    "3",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(
    r.stdout,
    /^sse: listening on http:\/\/127\.0\.0\.1:\d+\/\nsse: closed\n$/,
  );
});
