import assert from "node:assert/strict";
import {
  type AuthDecision,
  Authenticator,
  CertificateError,
  Context,
  createCertificates,
  CURVE_ALLOW_ANY,
  CURVE_PUBLICKEY,
  CURVE_SECRETKEY,
  CURVE_SERVER,
  CURVE_SERVERKEY,
  curveKeypair,
  EVENT_HANDSHAKE_FAILED_AUTH,
  EVENT_HANDSHAKE_FAILED_NO_DETAIL,
  EVENT_HANDSHAKE_FAILED_PROTOCOL,
  EVENT_HANDSHAKE_SUCCEEDED,
  has,
  IOLoop,
  loadCertificate,
  loadCertificates,
  monitorEvents,
  type NamedMonitorEvent,
  PLAIN_PASSWORD,
  PLAIN_SERVER,
  PLAIN_USERNAME,
  PULL,
  PUSH,
  REQ,
  type Socket,
  ZAP_DOMAIN,
  ZAP_ENDPOINT,
  ZMQError,
  ZMQStream,
} from "../mod.ts";
import { runLoop, until } from "./_helpers.ts";

/** Every wait of an exchange: a loopback handshake takes milliseconds. */
const BOUND_MS = 5000;

/** The events that end a client's handshake, one way or the other. */
const HANDSHAKE_EVENTS = EVENT_HANDSHAKE_SUCCEEDED |
  EVENT_HANDSHAKE_FAILED_AUTH |
  EVENT_HANDSHAKE_FAILED_PROTOCOL | EVENT_HANDSHAKE_FAILED_NO_DETAIL;

/** Why CURVE steps are skipped: libzmq can be built without it. */
const NO_CURVE = has("curve")
  ? ""
  : " (skipped: this libzmq was built without CURVE)";

interface Case {
  auth?: (auth: Authenticator, keys: Keys) => void;
  server?: (s: Socket, keys: Keys) => void;
  client?: (s: Socket, keys: Keys) => void;
}
interface Keys {
  server: [string, string];
  client: [string, string];
}

/** What happened to one exchange. */
interface Outcome {
  /** The client's first handshake event. */
  handshake: NamedMonitorEvent;
  /** The Authenticator's decisions so far (from `onDecision`). */
  decisions: AuthDecision[];
  /** The delivered message's `User-Id` ("" without ZAP), null when none arrived. */
  userId: string | null;
}

const curveServer = (s: Socket, k: Keys) => {
  s.setsockopt(CURVE_SERVER, 1);
  s.setsockopt(CURVE_SECRETKEY, k.server[1]);
};
const curveClient = (s: Socket, k: Keys) => {
  s.setsockopt(CURVE_SERVERKEY, k.server[0]);
  s.setsockopt(CURVE_PUBLICKEY, k.client[0]);
  s.setsockopt(CURVE_SECRETKEY, k.client[1]);
};
const plainServer = (s: Socket) => s.setsockopt(PLAIN_SERVER, 1);
const plainClient = (password: string) => (s: Socket) => {
  s.setsockopt(PLAIN_USERNAME, "admin");
  s.setsockopt(PLAIN_PASSWORD, password);
};
const nullDomain = (s: Socket) => s.setsockopt(ZAP_DOMAIN, "global");

/**
 * Runs a PUSH client -> PULL server exchange over tcp loopback and waits,
 * bounded, for the client's handshake to end (its monitor says how); when
 * it succeeded, for the message and its `User-Id` too.
 */
async function outcome(c: Case): Promise<Outcome> {
  const keys: Keys = has("curve")
    ? { server: curveKeypair(), client: curveKeypair() }
    : { server: ["", ""], client: ["", ""] };
  const ctx = new Context();
  const loop = new IOLoop();
  const decisions: AuthDecision[] = [];
  const auth = c.auth
    ? new Authenticator(ctx, {
      ioLoop: loop,
      onDecision: (d) => decisions.push(d),
    })
    : null;
  try {
    if (auth) {
      auth.start();
      c.auth!(auth, keys);
    }
    const server = new ZMQStream(ctx.socket(PULL), loop);
    c.server?.(server.socket, keys);
    const port = server.socket.bindToRandomPort("tcp://127.0.0.1");
    const client = ctx.socket(PUSH);
    c.client?.(client, keys);
    const events = monitorEvents(client, {
      ioLoop: loop,
      events: HANDSHAKE_EVENTS,
    });
    try {
      return (await runLoop(loop, async (): Promise<Outcome> => {
        client.connect(`tcp://127.0.0.1:${port}`);
        client.send("hello");
        const first = await events.next();
        assert.ok(!first.done, "the monitor ended before the handshake did");
        const handshake = first.value;
        // With ZAP, a handshake ends after the decision (the hook runs as
        // the reply is sent).
        if (auth) await until(() => decisions.length > 0);
        if (handshake.event !== EVENT_HANDSHAKE_SUCCEEDED) {
          // That connection failed: nothing can have been delivered on it.
          assert.equal(server.socket.poll(0), 0, "nothing delivered");
          return { handshake, decisions, userId: null };
        }
        const [frame] = await server.recvMultipart({
          copy: false,
          signal: AbortSignal.timeout(BOUND_MS),
        });
        assert.equal(new TextDecoder().decode(frame!.bytes), "hello");
        // Without ZAP there is no User-Id property (zmq_msg_gets: EINVAL).
        const userId = auth ? frame!.get("User-Id") : "";
        frame!.close();
        return { handshake, decisions, userId };
      }, BOUND_MS))!;
    } finally {
      events[Symbol.dispose]();
      client.close(0);
      server.close(0);
    }
  } finally {
    auth?.stop();
    loop.close();
    ctx.destroy(0);
  }
}

/** The mechanism a case's server uses. */
const mechanismOf = (c: Case) =>
  c.server === curveServer
    ? "CURVE"
    : c.server === plainServer
    ? "PLAIN"
    : "NULL";

/** Asserts the handshake succeeded and the message arrived; gives its User-Id. */
async function delivered(c: Case): Promise<string> {
  const o = await outcome(c);
  assert.equal(o.handshake.name, "HANDSHAKE_SUCCEEDED");
  assert.notEqual(o.userId, null, "the message arrived");
  if (c.auth) {
    assert.deepEqual(
      o.decisions.map((d) => [d.status, d.reason, d.mechanism]),
      [["200", "OK", mechanismOf(c)]],
    );
    assert.equal(o.decisions[0]!.address, "127.0.0.1");
    assert.equal(o.decisions[0]!.userId, o.userId);
  }
  return o.userId!;
}

/**
 * Asserts the refusal itself: the Authenticator decided 400 for `reason`
 * and the client's handshake failed with that status.
 */
async function refused(c: Case, reason: RegExp): Promise<void> {
  const o = await outcome(c);
  assert.equal(o.handshake.name, "HANDSHAKE_FAILED_AUTH");
  assert.equal(o.handshake.value, 400, "the ZAP status reaches the client");
  assert.equal(o.userId, null);
  assert.ok(o.decisions.length > 0);
  for (const d of o.decisions) {
    assert.equal(d.status, "400");
    assert.match(d.reason, reason);
    assert.equal(d.mechanism, mechanismOf(c));
    assert.equal(d.userId, "");
  }
}

Deno.test("auth outcome table (tcp loopback)", async (t) => {
  const curveStep = (name: string, fn: () => Promise<unknown>) =>
    t.step({
      name: `${name}${NO_CURVE}`,
      ignore: !has("curve"),
      fn: async () => void await fn(),
    });

  await t.step("no authenticator: delivered", async () => {
    await delivered({});
  });
  await t.step("NULL with a ZAP domain: delivered", async () => {
    await delivered({ auth: () => {}, server: nullDomain });
  });
  await t.step(
    "deny 127.0.0.1: refused",
    () =>
      refused(
        { auth: (a) => a.deny("127.0.0.1"), server: nullDomain },
        /^Address denied$/,
      ),
  );
  await t.step("allow 127.0.0.1: delivered", async () => {
    await delivered({ auth: (a) => a.allow("127.0.0.1"), server: nullDomain });
  });
  await t.step(
    "allow another address: refused",
    () =>
      refused(
        { auth: (a) => a.allow("10.9.8.7"), server: nullDomain },
        /^Address not allowed$/,
      ),
  );
  await t.step("PLAIN, server not configured: refused", () =>
    refused({
      auth: () => {},
      server: plainServer,
      client: plainClient("secret"),
    }, /^No passwords for domain ""$/));
  await t.step("PLAIN configured: delivered, User-Id is the user", async () => {
    const userId = await delivered({
      auth: (a) => a.configurePlain("*", { admin: "secret" }),
      server: plainServer,
      client: plainClient("secret"),
    });
    assert.equal(userId, "admin");
  });
  await t.step("PLAIN bad password: refused", () =>
    refused({
      auth: (a) => a.configurePlain("*", { admin: "secret" }),
      server: plainServer,
      client: plainClient("wrong"),
    }, /^Invalid user name or password$/));
  await curveStep(
    "CURVE not configured: refused",
    () =>
      refused(
        { auth: () => {}, server: curveServer, client: curveClient },
        /^No CURVE keys for domain ""$/,
      ),
  );
  await curveStep(
    "CURVE_ALLOW_ANY: delivered, User-Id is the client key",
    async () => {
      let clientKey = "";
      const userId = await delivered({
        auth: (a, k) => {
          a.configureCurve("*", CURVE_ALLOW_ANY);
          clientKey = k.client[0];
        },
        server: curveServer,
        client: curveClient,
      });
      assert.equal(userId, clientKey);
    },
  );
  await curveStep(
    "CURVE key list with the client's key: delivered",
    () =>
      delivered({
        auth: (a, k) => a.configureCurve("*", [k.client[0]]),
        server: curveServer,
        client: curveClient,
      }),
  );

  const dir = await Deno.makeTempDir();
  try {
    await curveStep(
      "CURVE certificate folder with the client's key: delivered",
      () =>
        delivered({
          auth: (a, k) => {
            Deno.writeTextFileSync(
              `${dir}/client.key`,
              `metadata\ncurve\n    public-key = "${k.client[0]}"\n`,
            );
            a.configureCurve("*", dir);
          },
          server: curveServer,
          client: curveClient,
        }),
    );
    await curveStep(
      "CURVE certificate folder without it: refused",
      async () => {
        await createCertificates(`${dir}/other`, "someone");
        await refused({
          auth: (a) => a.configureCurve("*", `${dir}/other`),
          server: curveServer,
          client: curveClient,
        }, /^Unknown key$/);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  await curveStep("CURVE callback accepting: delivered", async () => {
    const seen: string[] = [];
    await delivered({
      auth: (a) =>
        a.configureCurveCallback("*", (domain, key) => {
          seen.push(`${domain}:${key.length}`);
          return Promise.resolve(true);
        }),
      server: curveServer,
      client: curveClient,
    });
    assert.deepEqual(seen, [":40"]);
  });
  await curveStep("CURVE callback refusing: refused", () =>
    refused({
      auth: (a) => a.configureCurveCallback("*", () => false),
      server: curveServer,
      client: curveClient,
    }, /^Refused by the callback$/));
});

Deno.test("auth: malformed ZAP requests get a 400 and the handler keeps serving", async () => {
  using ctx = new Context();
  const loop = new IOLoop();
  const auth = new Authenticator(ctx, { ioLoop: loop });
  auth.start();
  auth.configurePlain("*", { admin: "secret" });
  const req = new ZMQStream(ctx.socket(REQ), loop);
  req.connect(ZAP_ENDPOINT);
  const ask = async (frames: string[]) => {
    req.sendMultipart(frames);
    const reply = await req.recvMultipart({
      signal: AbortSignal.timeout(2000),
    });
    return reply.map((p) => new TextDecoder().decode(p));
  };
  const results: string[][] = [];
  await runLoop(loop, async () => {
    results.push(await ask(["1.0", "r1"]));
    results.push(await ask(["9.9", "r2", "", "127.0.0.1", "", "NULL"]));
    results.push(
      await ask(["1.0", "r3", "", "127.0.0.1", "", "PLAIN", "only-user"]),
    );
    results.push(
      await ask(["1.0", "r4", "", "127.0.0.1", "", "PLAIN", "admin", "secret"]),
    );
  }, BOUND_MS);
  assert.deepEqual(results.map((r) => r.slice(0, 3)), [
    ["1.0", "r1", "400"],
    ["1.0", "r2", "400"],
    ["1.0", "r3", "400"],
    ["1.0", "r4", "200"],
  ]);
  assert.match(results[0]![3]!, /Malformed ZAP request: 2 frames/);
  assert.match(results[1]![3]!, /Unsupported ZAP version "9\.9"/);
  assert.equal(results[2]![3], "Invalid PLAIN credentials");
  assert.deepEqual(results[3]!.slice(3), ["OK", "admin", ""]);
  req.close();
  auth.stop();
  auth.stop(); // idempotent
  loop.close();
});

Deno.test("auth: bad input", async (t) => {
  await t.step("a second authenticator on one context", () => {
    using ctx = new Context();
    const loop = new IOLoop();
    using a = new Authenticator(ctx, { ioLoop: loop });
    a.start();
    a.start(); // no-op
    const b = new Authenticator(ctx, { ioLoop: loop });
    assert.throws(() => b.start(), (e: unknown) => {
      assert.ok(e instanceof ZMQError);
      assert.equal(e.code, "EADDRINUSE");
      assert.match(
        e.message,
        /Cannot start an Authenticator: another one already serves inproc:\/\/zeromq\.zap\.01/,
      );
      return true;
    });
    a.stop();
    loop.close();
  });
  await t.step("allow and deny together", () => {
    const a = new Authenticator(new Context());
    a.allow("127.0.0.1");
    assert.throws(() => a.deny("10.0.0.1"), {
      name: "ZMQError",
      message: /Cannot deny 10\.0\.0\.1: allow\(\) was used already/,
    });
    a.context.destroy();
  });
  await t.step("a Z85 key of the wrong length", () => {
    const a = new Authenticator(new Context());
    assert.throws(() => a.configureCurve("*", ["abc"]), {
      name: "RangeError",
      message:
        /Cannot use a CURVE public key "abc": a Z85 CURVE key has 40 characters, got 3/,
    });
    assert.throws(() => a.configureCurve("*", [`${"a".repeat(39)}~`]), {
      name: "RangeError",
    });
    a.context.destroy();
  });
  const dir = await Deno.makeTempDir();
  try {
    await t.step("a missing certificate file or folder", async () => {
      await assert.rejects(loadCertificate(`${dir}/nope.key`), (e: unknown) => {
        assert.ok(e instanceof CertificateError);
        assert.equal(e.path, `${dir}/nope.key`);
        assert.match(
          e.message,
          /Cannot load the certificate ".*nope\.key": no such file or folder/,
        );
        return true;
      });
      await assert.rejects(loadCertificates(`${dir}/none`), {
        name: "CertificateError",
        message: /Cannot load the certificate folder ".*none": no such file/,
      });
      const a = new Authenticator(new Context());
      assert.throws(() => a.configureCurve("*", `${dir}/none`), {
        name: "CertificateError",
      });
      a.context.destroy();
    });
    await t.step("a file that is not ZPL", async () => {
      await Deno.writeTextFile(`${dir}/junk.key`, "hello world\n");
      await assert.rejects(loadCertificate(`${dir}/junk.key`), {
        name: "CertificateError",
        message: /"[^"]*junk\.key": not a ZPL certificate \(no public-key\)/,
      });
      await Deno.writeTextFile(
        `${dir}/short.key`,
        'curve\n    public-key = "abc"\n',
      );
      await assert.rejects(loadCertificate(`${dir}/short.key`), {
        name: "CertificateError",
        message:
          /public-key of ".*short\.key" "abc": a Z85 CURVE key has 40 characters/,
      });
    });
    await t.step(
      "a secret certificate where public ones are expected",
      async () => {
        const sub = `${dir}/mixed`;
        const [, secretFile] = await createCertificates(sub, "server");
        await Deno.rename(secretFile, `${sub}/leaked.key`);
        await assert.rejects(loadCertificates(sub), {
          name: "CertificateError",
          message: /leaked\.key": it holds a secret key/,
        });
      },
    );
    await t.step(
      "certificates: ZPL format, secret file mode 0600",
      async () => {
        const [pub, secret] = await createCertificates(`${dir}/ok`, "me");
        assert.equal((await Deno.stat(secret)).mode! & 0o777, 0o600);
        const text = await Deno.readTextFile(secret);
        assert.match(
          text,
          /^# {3}\*{4} {2}Generated on .* by zmqloop {2}\*{4}\n/,
        );
        assert.match(
          text,
          /\nmetadata\ncurve\n {4}public-key = "[^"]{40}"\n {4}secret-key = "[^"]{40}"\n$/,
        );
        const [p1, s1] = await loadCertificate(pub);
        const [p2, s2] = await loadCertificate(secret);
        assert.equal(p1, p2);
        assert.equal(s1, null);
        assert.equal(s2!.length, 40);
        assert.deepEqual(Object.keys(await loadCertificates(`${dir}/ok`)), [
          p1,
        ]);
        await assert.rejects(createCertificates(dir, "../x"), TypeError);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
