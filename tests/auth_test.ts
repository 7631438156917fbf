import assert from "node:assert/strict";
import {
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
  IOLoop,
  loadCertificate,
  loadCertificates,
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

/** How long a refused message is waited for before calling it "not delivered". */
const REFUSED_WAIT_MS = 300;

interface Case {
  auth?: (auth: Authenticator, keys: Keys) => void;
  server?: (s: Socket, keys: Keys) => void;
  client?: (s: Socket, keys: Keys) => void;
}
interface Keys {
  server: [string, string];
  client: [string, string];
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
 * Runs a PUSH client -> PULL server exchange over tcp loopback; returns the
 * server's `User-Id` of the message when delivered, `null` when nothing
 * arrived within the bounded wait.
 */
async function outcome(c: Case): Promise<string | null> {
  const keys: Keys = { server: curveKeypair(), client: curveKeypair() };
  const ctx = new Context();
  const loop = new IOLoop();
  const auth = c.auth ? new Authenticator(ctx, { ioLoop: loop }) : null;
  try {
    if (auth) {
      auth.start();
      c.auth!(auth, keys);
    }
    const server = ctx.socket(PULL);
    c.server?.(server, keys);
    const port = server.bindToRandomPort("tcp://127.0.0.1");
    const client = ctx.socket(PUSH);
    c.client?.(client, keys);
    client.connect(`tcp://127.0.0.1:${port}`);
    client.send("hello");
    let userId: string | null = null;
    loop.addHandler(server, () => {
      const [frame] = server.recvMultipart(0, { copy: false });
      assert.equal(new TextDecoder().decode(frame!.bytes), "hello");
      // Without ZAP there is no User-Id property (zmq_msg_gets: EINVAL).
      userId = c.auth ? frame!.get("User-Id") : "";
      frame!.close();
      loop.stop();
    }, IOLoop.READ);
    const timer = loop.callLater(REFUSED_WAIT_MS, () => loop.stop());
    await loop.start();
    loop.removeTimeout(timer);
    loop.removeHandler(server);
    client.close(0);
    server.close(0);
    return userId;
  } finally {
    auth?.stop();
    loop.close();
    ctx.destroy(0);
  }
}

Deno.test("auth outcome table (tcp loopback)", async (t) => {
  const delivered = async (c: Case) => assert.notEqual(await outcome(c), null);
  const refused = async (c: Case) => assert.equal(await outcome(c), null);

  await t.step("no authenticator: delivered", () => delivered({}));
  await t.step(
    "NULL with a ZAP domain: delivered",
    () => delivered({ auth: () => {}, server: nullDomain }),
  );
  await t.step(
    "deny 127.0.0.1: not delivered",
    () => refused({ auth: (a) => a.deny("127.0.0.1"), server: nullDomain }),
  );
  await t.step(
    "allow 127.0.0.1: delivered",
    () => delivered({ auth: (a) => a.allow("127.0.0.1"), server: nullDomain }),
  );
  await t.step(
    "allow another address: not delivered",
    () => refused({ auth: (a) => a.allow("10.9.8.7"), server: nullDomain }),
  );
  await t.step("PLAIN, server not configured: not delivered", () =>
    refused({
      auth: () => {},
      server: plainServer,
      client: plainClient("secret"),
    }));
  await t.step("PLAIN configured: delivered, User-Id is the user", async () => {
    const userId = await outcome({
      auth: (a) => a.configurePlain("*", { admin: "secret" }),
      server: plainServer,
      client: plainClient("secret"),
    });
    assert.equal(userId, "admin");
  });
  await t.step("PLAIN bad password: not delivered", () =>
    refused({
      auth: (a) => a.configurePlain("*", { admin: "secret" }),
      server: plainServer,
      client: plainClient("wrong"),
    }));
  await t.step(
    "CURVE not configured: not delivered",
    () => refused({ auth: () => {}, server: curveServer, client: curveClient }),
  );
  await t.step(
    "CURVE_ALLOW_ANY: delivered, User-Id is the client key",
    async () => {
      let clientKey = "";
      const userId = await outcome({
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
  await t.step(
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
    await t.step(
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
    await t.step(
      "CURVE certificate folder without it: not delivered",
      async () => {
        await createCertificates(`${dir}/other`, "someone");
        await refused({
          auth: (a) => a.configureCurve("*", `${dir}/other`),
          server: curveServer,
          client: curveClient,
        });
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  await t.step("CURVE callback accepting: delivered", async () => {
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
  await t.step("CURVE callback refusing: not delivered", () =>
    refused({
      auth: (a) => a.configureCurveCallback("*", () => false),
      server: curveServer,
      client: curveClient,
    }));
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
  const run = (async () => {
    results.push(await ask(["1.0", "r1"]));
    results.push(await ask(["9.9", "r2", "", "127.0.0.1", "", "NULL"]));
    results.push(
      await ask(["1.0", "r3", "", "127.0.0.1", "", "PLAIN", "only-user"]),
    );
    results.push(
      await ask(["1.0", "r4", "", "127.0.0.1", "", "PLAIN", "admin", "secret"]),
    );
  })().finally(() => loop.stop());
  await loop.start();
  await run;
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
