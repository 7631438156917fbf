/**
 * What the security examples share beyond PyZMQ's originals: a logger in
 * the style of Python's `logging`, the certificate folders (made in a
 * temporary folder when none is given), and a monitor that reports the
 * refusal of a client (`EVENT_HANDSHAKE_FAILED_AUTH`, with the ZAP status
 * code), so a refusal is seen, not inferred from a timeout.
 *
 * @module
 */

import {
  EVENT_HANDSHAKE_FAILED_AUTH,
  LAST_ENDPOINT,
  parseMonitorMessage,
  type Socket,
} from "../../mod.ts";
import { generateCertificates } from "./generate_certificates.ts";

/** Python-style logging: `[INFO] ...`; DEBUG lines only with `-v`. */
export const logging = {
  debug: (msg: string) =>
    Deno.args.includes("-v") && console.log(`[DEBUG] ${msg}`),
  info: (msg: string) => console.log(`[INFO] ${msg}`),
  error: (msg: string) => console.log(`[ERROR] ${msg}`),
  critical: (msg: string) => console.log(`[CRITICAL] ${msg}`),
};

/**
 * The base folder holding `public_keys/` and `private_keys/`: the first
 * argument that is not a flag, or a temporary folder where they are made
 * now (removed at exit).
 */
export async function baseDir(): Promise<string> {
  const given = Deno.args.find((a) => !a.startsWith("-"));
  if (given) return given;
  const dir = await Deno.makeTempDir({ prefix: "zmqloop-security-" });
  globalThis.addEventListener(
    "unload",
    () => Deno.removeSync(dir, { recursive: true }),
  );
  await generateCertificates(dir);
  return dir;
}

/** The endpoint a socket bound (PyZMQ's examples use port 9000; these take a free port). */
export function boundTo(socket: Socket): string {
  return socket.getsockopt(LAST_ENDPOINT) as string;
}

/** Watches a server socket for clients refused by the authenticator. */
export function watchRefusals(server: Socket): {
  /** Waits (blocking, at most `ms`) for the next refusal; its ZAP status code, or null. */
  next(ms?: number): number | null;
  close(): void;
} {
  const monitor = server.getMonitorSocket(EVENT_HANDSHAKE_FAILED_AUTH);
  return {
    next(ms = 5000) {
      if (!monitor.poll(ms)) return null;
      return parseMonitorMessage(monitor.recvMultipart()).value;
    },
    close() {
      server.disableMonitor();
      monitor.close(0);
    },
  };
}
