/**
 * Allow or deny clients based on IP address.
 *
 * Strawhouse, which is plain text with filtering on IP addresses. It still
 * uses the NULL mechanism, but we install an authentication hook that checks
 * the IP address against a whitelist or blacklist and allows or denies it
 * accordingly.
 *
 * A line-for-line port of PyZMQ's examples/security/strawhouse.py (Chris Laws),
 * blocking calls included: the ThreadAuthenticator answers ZAP from a Worker
 * while this thread blocks. Beyond the original: the denied client's refusal
 * is read from the server's monitor. Binds a free loopback port instead of 9000.
 *
 * Run: deno task strawhouse [-v]
 */

import {
  Context,
  POLLOUT,
  PULL,
  PUSH,
  ThreadAuthenticator,
  ZAP_DOMAIN,
} from "../../mod.ts";
import { boundTo, logging, watchRefusals } from "./_common.ts";

async function run(): Promise<boolean> {
  let allowTestPass = false;
  let denyTestPass = false;

  const ctx = Context.instance();

  // Start an authenticator for this context.
  let auth = new ThreadAuthenticator(ctx);
  await auth.start();

  // Part 1 - demonstrate allowing clients based on IP address
  auth.allow("127.0.0.1");

  const server = ctx.socket(PUSH);
  server.setsockopt(ZAP_DOMAIN, "global"); // must come before bind
  server.bind("tcp://127.0.0.1:*");
  const refusals = watchRefusals(server);

  const clientAllow = ctx.socket(PULL);
  clientAllow.connect(boundTo(server));

  server.send("Hello");

  const msg = clientAllow.recvString();
  if (msg === "Hello") {
    allowTestPass = true;
  }

  clientAllow.close();

  // Part 2 - demonstrate denying clients based on IP address
  await auth.stop();

  auth = new ThreadAuthenticator(ctx);
  await auth.start();

  auth.deny("127.0.0.1");

  const clientDeny = ctx.socket(PULL);
  clientDeny.connect(boundTo(server));

  if (server.poll(50, POLLOUT)) {
    server.send("Hello");

    if (clientDeny.poll(50)) {
      clientDeny.recv();
    } else {
      denyTestPass = true;
    }
  } else {
    denyTestPass = true;
  }

  // Beyond the original: see the refusal itself, not only the silence
  const status = refusals.next();
  if (status === 400) {
    logging.info("Strawhouse refused the denied client (ZAP 400)");
  } else {
    logging.error(`Strawhouse did not refuse the denied client (${status})`);
    denyTestPass = false;
  }

  clientDeny.close();

  await auth.stop(); // stop auth thread

  if (allowTestPass && denyTestPass) {
    logging.info("Strawhouse test OK");
  } else {
    logging.error("Strawhouse test FAIL");
  }
  refusals.close();
  server.close(0);
  ctx.term();
  return allowTestPass && denyTestPass;
}

if (import.meta.main) {
  if (!(await run())) Deno.exit(1);
}
