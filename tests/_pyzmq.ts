/**
 * PyZMQ peers as test fixtures: `await using peer = await pyzmq(...)` starts
 * tests/peers/pyzmq_peer.py and kills it (stdin closed, then SIGKILL) when
 * the scope ends, so no test leaks a process even when it fails.
 */

/** The interpreter with Debian's python3-zmq. */
export const PYTHON = "/usr/bin/python3";

/** Whether /usr/bin/python3 can import zmq (else the interop tests skip). */
export const hasPyzmq: boolean = (() => {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import zmq"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

const PEER = new URL("./peers/pyzmq_peer.py", import.meta.url).pathname;

/** A running PyZMQ peer. */
export interface PyPeer extends AsyncDisposable {
  /** The endpoint it bound or connected to (its first line). */
  endpoint: string;
  /** The process, e.g. to kill it mid-test. */
  child: Deno.ChildProcess;
  /** The next JSON line it prints, or an error after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Starts a peer in `mode` and waits until it reports its endpoint. */
export async function pyzmq(
  mode: string,
  endpoint: string,
  ...args: (string | number)[]
): Promise<PyPeer> {
  const child = new Deno.Command(PYTHON, {
    args: ["-u", PEER, mode, endpoint, ...args.map(String)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let buffered = "";
  let closed = false;
  const next = async (timeoutMs = 15_000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `PyZMQ peer "${mode}" printed nothing in ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      while (!buffered.includes("\n")) {
        const { value, done } = await Promise.race([lines.read(), timeout]);
        if (done) {
          throw new Error(
            `PyZMQ peer "${mode}" exited early: ${(await stderr).trim()}`,
          );
        }
        buffered += value;
      }
    } finally {
      clearTimeout(timer);
    }
    const i = buffered.indexOf("\n");
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    const value = JSON.parse(line) as Record<string, unknown>;
    if (value.error) throw new Error(`PyZMQ peer "${mode}": ${value.error}`);
    return value;
  };
  const dispose = async () => {
    if (closed) return;
    closed = true;
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }, 2000);
    await child.status;
    clearTimeout(timer);
    await lines.cancel().catch(() => {});
    await stderr;
  };
  try {
    const first = await next();
    return {
      endpoint: String(first.endpoint),
      child,
      next,
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
