/**
 * Checks examples/sse.ts in a real browser: starts the example, opens its
 * page in headless Chromium (Debian's `chromium`), and asserts that the
 * page's `EventSource` shows updates arriving, in order. Chromium is driven
 * through its DevTools protocol, because `--dump-dom` with
 * `--virtual-time-budget` never returns while an event stream is open
 * (virtual time waits for the network) and `--dump-dom --timeout` dumps
 * the page before the first event. Saves a screenshot of the page.
 *
 * Not part of `deno task test` (it needs chromium):
 *
 *   apt-get install chromium
 *   deno task sse:browser [screenshot.png]   (default: a temporary file)
 *
 * Exits 0 when the page showed at least `UPDATES` consecutive updates.
 *
 * @module
 */

const UPDATES = 5;
const WAIT_MS = 15_000;
const name = "sse_browser_check";
const screenshot = Deno.args[0] ??
  await Deno.makeTempFile({ prefix: "sse_browser_check", suffix: ".png" });

/**
 * Reads a child's text output until `pattern` matches and returns the
 * match; the rest is read and dropped, so the child never blocks on a full
 * pipe.
 */
async function waitFor(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  what: string,
): Promise<RegExpMatchArray> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const match = text.match(pattern);
    if (match) {
      (async () => {
        while (!(await reader.read()).done);
      })();
      return match;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`Cannot start ${what}: ${text.trim()}`);
    text += value;
  }
}

/** A minimal DevTools protocol client over one WebSocket. */
async function devtools(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
  });
  let nextId = 0;
  const waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  socket.onmessage = (event) => {
    const reply = JSON.parse(event.data);
    waiting.get(reply.id)?.(reply);
    waiting.delete(reply.id);
  };
  return {
    async call(method: string, params: unknown = {}) {
      const id = ++nextId;
      const reply = await new Promise<Record<string, unknown>>((resolve) => {
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params }));
      });
      if (reply.error) {
        throw new Error(`${method} failed: ${JSON.stringify(reply.error)}`);
      }
      return reply.result as Record<string, unknown>;
    },
    close: () => socket.close(),
  };
}

try {
  await new Deno.Command("chromium", { args: ["--version"] }).output();
} catch (error) {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
  console.error(`${name}: Cannot find chromium: apt-get install chromium`);
  Deno.exit(1);
}

const example = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-ffi",
    "--allow-env",
    "--allow-net=127.0.0.1",
    new URL("../examples/sse.ts", import.meta.url).pathname,
  ],
  stdout: "piped",
  stderr: "inherit",
  stdin: "null",
}).spawn();
const profile = await Deno.makeTempDir({ prefix: "sse_browser_check" });
let browser: Deno.ChildProcess | undefined;
let failed = false;
try {
  const [, page] = await waitFor(
    example.stdout,
    /listening on (http:\/\/\S+)\n/,
    "examples/sse.ts",
  );
  browser = new Deno.Command("chromium", {
    args: [
      "--headless",
      "--disable-gpu",
      "--no-sandbox",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "--window-size=800,600",
      page!,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const [, browserUrl] = await waitFor(
    browser.stderr,
    /DevTools listening on (ws:\/\/\S+)/,
    "chromium",
  );
  const targets = await (await fetch(
    new URL("/json/list", browserUrl!.replace("ws:", "http:")),
  )).json() as { type: string; url: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.type === "page" && t.url === page);
  if (!target) throw new Error(`Cannot find the page ${page} in chromium`);
  const tab = await devtools(target.webSocketDebuggerUrl);
  try {
    // What the page shows: its status line and the listed updates.
    const read = async () => {
      const { result } = await tab.call("Runtime.evaluate", {
        expression: `[document.getElementById("status")?.textContent,
          ...[...document.querySelectorAll("#updates li")]
            .map((li) => li.textContent)]`,
        returnByValue: true,
      }) as { result: { value: string[] } };
      return result.value;
    };
    const deadline = Date.now() + WAIT_MS;
    let shown = await read();
    while (shown.length - 1 < UPDATES) {
      if (Date.now() > deadline) {
        throw new Error(
          `The page showed ${shown.length - 1} updates in ${WAIT_MS} ms: ${
            JSON.stringify(shown)
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      shown = await read();
    }
    const [status, ...items] = shown;
    const seqs = items.map((item) => {
      const match = item.match(/^update #(\d+) at \d\d:\d\d:\d\d\.\d{3}$/);
      if (!match) throw new Error(`The page shows "${item}"`);
      return Number(match[1]);
    });
    // Newest first, one apart.
    if (seqs.some((seq, i) => i > 0 && seq !== seqs[i - 1]! - 1)) {
      throw new Error(`The updates are out of order: ${seqs.join(", ")}`);
    }
    if (!/^received \d+ updates$/.test(status!)) {
      throw new Error(`The page's status is "${status}"`);
    }
    const { data } = await tab.call("Page.captureScreenshot", {
      format: "png",
    }) as { data: string };
    await Deno.writeFile(
      screenshot,
      Uint8Array.from(atob(data), (c) => c.charCodeAt(0)),
    );
    console.log(
      `${name}: chromium shows "${status}", latest "${items[0]}"; ` +
        `screenshot in ${screenshot}`,
    );
  } finally {
    tab.close();
  }
} catch (error) {
  console.error(`${name}: ${(error as Error).message}`);
  failed = true;
} finally {
  if (browser) {
    browser.kill("SIGTERM");
    await browser.status;
  }
  example.kill("SIGINT");
  const { code } = await example.status;
  if (code !== 0) {
    console.error(`${name}: examples/sse.ts exited with ${code} on SIGINT`);
    failed = true;
  }
  await Deno.remove(profile, { recursive: true });
}
Deno.exit(failed ? 1 : 0);
