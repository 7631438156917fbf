/**
 * The zeromq.js layer (compat/zeromq.ts), tested from zeromq.js's documented
 * behaviour: per class, per option, bad input, timeouts, close, events,
 * proxy, and the process exiting with sockets left open.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as zmq from "../compat/zeromq.ts";
import {
  Context,
  Dealer,
  Pair,
  Proxy,
  Publisher,
  Pull,
  Push,
  Reply,
  Request,
  Router,
  Socket,
  Stream,
  Subscriber,
  XPublisher,
  XSubscriber,
} from "../compat/zeromq.ts";
import { COMPAT_OPTIONS } from "../compat/_options.ts";
import { SOCKET_OPTIONS } from "../ffi/options.ts";
import { runDeno, tempScript } from "./_helpers.ts";

const COMPAT_URL = new URL("../compat/zeromq.ts", import.meta.url).href;

type AnySocket = Record<string | symbol, unknown> & {
  close(): void;
  closed: boolean;
  readable: boolean;
};
const loose = (s: Socket) => s as unknown as AnySocket;

const CLASSES: [string, new () => Socket, number, boolean, boolean][] = [
  // name, class, type, can send, can receive
  ["Pair", Pair, 0, true, true],
  ["Publisher", Publisher, 1, true, false],
  ["Subscriber", Subscriber, 2, false, true],
  ["Request", Request, 3, true, true],
  ["Reply", Reply, 4, true, true],
  ["Dealer", Dealer, 5, true, true],
  ["Router", Router, 6, true, true],
  ["Pull", Pull, 7, false, true],
  ["Push", Push, 8, true, false],
  ["XPublisher", XPublisher, 9, true, true],
  ["XSubscriber", XSubscriber, 10, true, true],
  ["Stream", Stream, 11, true, true],
];

let seq = 0;
const inproc = () => `inproc://compat-test-${seq++}`;
const text = (b: Uint8Array | undefined) => Buffer.from(b!).toString();

/** Rejects after `ms` so that no wait in these tests is unbounded. */
function within<T>(promise: Promise<T>, ms = 5000, what = "operation") {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} took over ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function pair<A extends Socket, B extends Socket>(
  a: A,
  b: B,
  address = inproc(),
): Promise<[A, B]> {
  await a.bind(address);
  b.connect(address);
  return [a, b];
}

function closeAll(...sockets: Socket[]) {
  for (const s of sockets) s.close();
}

Deno.test("zeromq: every socket class has its type, state and methods", () => {
  for (const [name, Class, type, canSend, canReceive] of CLASSES) {
    const s = loose(new Class());
    try {
      assert.equal(s.type, type, name);
      assert.equal(s.closed, false);
      assert.equal(s.context, zmq.context);
      assert.equal(s.threadSafe, false);
      assert.equal(typeof s.send === "function", canSend, `${name}.send`);
      assert.equal(
        typeof s.receive === "function",
        canReceive,
        `${name}.receive`,
      );
      assert.equal(
        typeof s[Symbol.asyncIterator as unknown as string] === "function",
        canReceive,
        `${name}[Symbol.asyncIterator]`,
      );
      assert.equal(s.readable, false);
      assert.ok(s instanceof Socket);
    } finally {
      s.close();
    }
    assert.equal(s.closed, true);
    s.close(); // idempotent
  }
});

Deno.test("zeromq: option properties exist exactly on the types zeromq.js has them on", () => {
  for (const [name, Class, type] of CLASSES) {
    const s = loose(new Class());
    try {
      for (const option of COMPAT_OPTIONS) {
        assert.equal(
          option.name in s,
          option.on(type),
          `${name}.${option.name}`,
        );
      }
      // a few spot checks against zeromq.js's typings
      const has = (key: string) => key in s;
      assert.equal(
        has("sendHighWaterMark"),
        name !== "Subscriber" && name !== "Pull",
      );
      assert.equal(
        has("receiveTimeout"),
        name !== "Publisher" && name !== "Push",
      );
      assert.equal(
        has("routingId"),
        ["Request", "Reply", "Router", "Dealer"].includes(name),
      );
      assert.equal(has("mandatory"), name === "Router");
      assert.equal(has("manual"), name === "XPublisher");
      assert.equal(has("verbosity"), name === "XPublisher");
      assert.equal(has("notify"), name === "Stream");
      assert.equal(has("subscribe"), name === "Subscriber");
    } finally {
      s.close();
    }
  }
});

Deno.test("zeromq: option ids and value types come from SOCKET_OPTIONS", () => {
  const ids = new Set(COMPAT_OPTIONS.map((o) => o.spec.id));
  assert.equal(ids.size, COMPAT_OPTIONS.length, "one property per option");
  for (const option of COMPAT_OPTIONS) {
    assert.equal(SOCKET_OPTIONS.get(option.spec.id), option.spec);
  }
});

Deno.test("zeromq: every readable option reads as its zeromq.js type", () => {
  for (const [name, Class, type] of CLASSES) {
    const s = loose(new Class());
    try {
      for (const option of COMPAT_OPTIONS) {
        if (!option.on(type) || !option.spec.read) continue;
        // VMCI needs a libzmq built with it: reading fails with EINVAL, as in zeromq.js
        if (option.name.startsWith("vmci")) {
          assert.throws(() => s[option.name], { code: "EINVAL" });
          continue;
        }
        const value = s[option.name];
        const where = `${name}.${option.name} = ${String(value)}`;
        if (option.shape === "bool") {
          assert.equal(typeof value, "boolean", where);
        } else if (option.shape === "number") {
          assert.equal(typeof value, "number", where);
        } else if (option.shape === "text") {
          assert.ok(value === null || typeof value === "string", where);
        } else assert.ok(option.shape.includes(value as string | null), where);
      }
    } finally {
      s.close();
    }
  }
});

Deno.test("zeromq: options round-trip, in the constructor and as properties", async (t) => {
  await t.step("numbers and booleans", () => {
    const s = new Dealer({
      linger: 0,
      sendHighWaterMark: 7,
      receiveHighWaterMark: 9,
      immediate: true,
      reconnectInterval: 50,
      maxMessageSize: 1 << 20,
      sendTimeout: 10,
      receiveTimeout: 20,
      ipv6: true,
    });
    try {
      assert.equal(s.linger, 0);
      assert.equal(s.sendHighWaterMark, 7);
      assert.equal(s.receiveHighWaterMark, 9);
      assert.equal(s.immediate, true);
      assert.equal(s.reconnectInterval, 50);
      assert.equal(s.maxMessageSize, 1 << 20);
      assert.equal(s.sendTimeout, 10);
      assert.equal(s.receiveTimeout, 20);
      assert.equal(s.ipv6, true);
      s.immediate = false;
      s.linger = 250;
      assert.equal(s.immediate, false);
      assert.equal(s.linger, 250);
    } finally {
      s.close();
    }
  });
  await t.step("strings, null and keys", () => {
    const { publicKey, secretKey } = zmq.curveKeyPair();
    const s = new Dealer({ routingId: "id-1", zapDomain: "global" });
    try {
      assert.equal(s.routingId, "id-1");
      assert.equal(s.zapDomain, "global");
      s.zapDomain = "other";
      assert.equal(s.zapDomain, "other");
      assert.equal(s.securityMechanism, null);
      s.plainUsername = "user";
      assert.equal(s.plainUsername, "user");
      assert.equal(s.securityMechanism, "plain");
      s.curveServer = true;
      s.curveSecretKey = secretKey;
      s.curvePublicKey = publicKey;
      assert.equal(s.curvePublicKey, publicKey);
      assert.equal(s.securityMechanism, "curve");
      assert.equal(s.lastEndpoint, null);
    } finally {
      s.close();
    }
  });
  await t.step("write-only options are set and read as undefined", () => {
    const r = new Router({
      mandatory: true,
      handover: true,
      probeRouter: true,
    });
    try {
      assert.equal(r.mandatory, undefined);
      r.mandatory = false;
    } finally {
      r.close();
    }
  });
  await t.step("lastEndpoint after bind", async () => {
    const s = new Pull();
    try {
      await s.bind("tcp://127.0.0.1:*");
      assert.match(s.lastEndpoint!, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      s.close();
    }
  });
});

Deno.test("zeromq: bad option input is refused before anything changes", async (t) => {
  await t.step("wrong types are TypeErrors naming the option and value", () => {
    const s = loose(new Dealer());
    try {
      assert.throws(() => s.linger = "10", {
        name: "TypeError",
        message: 'Cannot set option "linger" to "10": expected a number',
      });
      assert.throws(
        () => s.immediate = 1,
        /"immediate" to 1: expected a boolean/,
      );
      assert.throws(() => s.routingId = 5, TypeError);
      assert.throws(() => s.linger = NaN, TypeError);
      assert.equal(s.linger, -1, "unchanged");
    } finally {
      s.close();
    }
  });
  await t.step("values libzmq refuses are EINVAL errors", () => {
    const s = new Dealer();
    try {
      assert.throws(() => s.linger = -5, { code: "EINVAL" });
      assert.throws(() => s.curveSecretKey = "short", { code: "EINVAL" });
    } finally {
      s.close();
    }
  });
  await t.step("read-only options cannot be set", () => {
    const s = loose(new Dealer());
    try {
      assert.throws(() => s.type = 1, TypeError);
      assert.throws(() => s.lastEndpoint = "x", TypeError);
      assert.throws(() => new Dealer({ type: 1 } as never), /read-only/);
    } finally {
      s.close();
    }
  });
  await t.step("unknown options and properties", () => {
    assert.throws(() => new Push({ nonsense: 1 } as never), {
      name: "TypeError",
      message: 'Cannot create a PUSH socket: unknown option "nonsense"',
    });
    // an option of another socket type is unknown here
    assert.throws(
      () => new Push({ receiveTimeout: 1 } as never),
      /unknown option "receiveTimeout"/,
    );
    assert.throws(() => new Push({ linger: "x" } as never), TypeError);
    assert.throws(() => new Push(5 as never), /options must be an object/);
    assert.throws(
      () => new Push({ context: {} } as never),
      /must be a Context/,
    );
    const s = loose(new Push());
    try {
      assert.throws(
        () => s.receiveTimeout = 5,
        TypeError,
        "sealed: no new properties",
      );
    } finally {
      s.close();
    }
  });
  await t.step("options of a closed socket are EBADF", () => {
    const s = new Dealer();
    s.close();
    assert.throws(() => s.linger, {
      code: "EBADF",
      message: "Socket is closed",
    });
    assert.throws(() => s.linger = 0, { code: "EBADF" });
  });
});

Deno.test("zeromq: unknown socket types are EINVAL", () => {
  const AbstractSocket = Socket as unknown as new (type: number) => Socket;
  assert.throws(() => new AbstractSocket(99), { code: "EINVAL" });
  assert.throws(() => new AbstractSocket(-1), { code: "EINVAL" });
});

Deno.test("zeromq: send and receive, single and multipart, all message types", async () => {
  const [a, b] = await pair(new Pair(), new Pair());
  try {
    await b.send("text");
    await b.send(new Uint8Array([1, 2, 3]));
    await b.send(Buffer.from("buf"));
    await b.send(new Uint16Array([0x0201]).buffer);
    await b.send(new DataView(new Uint8Array([9, 8]).buffer));
    await b.send(null);
    await b.send(["a", null, new Uint8Array([4])]);
    const got = [];
    for (let i = 0; i < 7; i++) got.push(await within(a.receive()));
    assert.ok(got.every((m) => m.every((p) => Buffer.isBuffer(p))));
    assert.deepEqual(got.map((m) => m.map((p) => [...p])), [
      [[...Buffer.from("text")]],
      [[1, 2, 3]],
      [[...Buffer.from("buf")]],
      [[1, 2]],
      [[9, 8]],
      [[]],
      [[97], [], [4]],
    ]);
    assert.equal(got[0]![0]!.toString(), "text");
    await assert.rejects(() => b.send(undefined as never), TypeError);
    await assert.rejects(() => b.send(42 as never), TypeError);
    await assert.rejects(() => b.send([] as never), TypeError);
    await assert.rejects(() => b.send([{}] as never), /part 0/);
  } finally {
    closeAll(a, b);
  }
});

Deno.test("zeromq: using a closed socket", async () => {
  const push = new Push(), pull = new Pull();
  push.close();
  pull.close();
  await assert.rejects(() => push.send("x"), { code: "EBADF", errno: 9 });
  await assert.rejects(() => pull.receive(), { code: "EBADF" });
  await assert.rejects(() => push.bind(inproc()), { code: "EBADF" });
  assert.throws(() => push.connect(inproc()), { code: "EBADF" });
  assert.throws(() => push.bindSync(inproc()), { code: "EBADF" });
  // for await over a closed socket ends at once
  for await (const _ of pull) assert.fail("no message");
});

Deno.test("zeromq: a socket type that cannot receive has no receive()", () => {
  const push = new Push() as unknown as { receive(): unknown };
  const pub = new Publisher() as unknown as { receive(): unknown };
  const sub = new Subscriber() as unknown as { send(m: string): unknown };
  try {
    assert.throws(() => push.receive(), TypeError);
    assert.throws(() => pub.receive(), TypeError);
    assert.throws(() => sub.send("x"), TypeError);
  } finally {
    closeAll(push as never, pub as never, sub as never);
  }
});

Deno.test("zeromq: timeouts reject with EAGAIN", async (t) => {
  await t.step("receiveTimeout", async () => {
    const pull = new Pull({ receiveTimeout: 30 });
    try {
      const start = performance.now();
      await assert.rejects(() => within(pull.receive()), {
        code: "EAGAIN",
        message: "Operation was not possible or timed out",
      });
      assert.ok(performance.now() - start >= 25);
      pull.receiveTimeout = 0;
      await assert.rejects(() => pull.receive(), { code: "EAGAIN" });
    } finally {
      pull.close();
    }
  });
  await t.step("sendTimeout", async () => {
    const push = new Push({ sendTimeout: 30 });
    try {
      await assert.rejects(() => within(push.send("x")), {
        code: "EAGAIN",
        message: "Operation was not possible or timed out",
      });
      push.sendTimeout = 0;
      await assert.rejects(() => push.send("x"), { code: "EAGAIN" });
      // 0 with sends already queued: this one fails too, the others wait on
      push.sendTimeout = -1;
      const first = push.send("queued").catch((e) => e.message);
      push.sendTimeout = 0;
      await assert.rejects(() => within(push.send("y")), { code: "EAGAIN" });
      push.close();
      assert.equal(await within(first), "Socket was closed");
    } finally {
      push.close();
    }
  });
  await t.step(
    "a receive that timed out leaves the next one working",
    async () => {
      const [pull, push] = await pair(
        new Pull({ receiveTimeout: 20 }),
        new Push(),
      );
      try {
        await assert.rejects(() => within(pull.receive()), { code: "EAGAIN" });
        await push.send("late");
        pull.receiveTimeout = -1;
        assert.equal(text((await within(pull.receive()))[0]), "late");
      } finally {
        closeAll(pull, push);
      }
    },
  );
});

Deno.test("zeromq: close rejects what waits, and ends for await", async (t) => {
  await t.step("pending receive", async () => {
    const pull = new Pull();
    const pending = pull.receive();
    pull.close();
    await assert.rejects(() => within(pending), {
      code: "EAGAIN",
      message: "Socket was closed",
    });
  });
  await t.step("pending sends, each in order", async () => {
    const push = new Push({ linger: 0 });
    const pending = ["a", "b", "c"].map((m) =>
      push.send(m).then(() => "sent", (e) => `${e.code}: ${e.message}`)
    );
    push.close();
    assert.deepEqual(
      await within(Promise.all(pending)),
      Array(3).fill("EAGAIN: Socket was closed"),
    );
    await assert.rejects(() => push.send("x"), {
      code: "EBADF",
      message: "Socket is closed",
    });
  });
  await t.step("for await returns", async () => {
    const [pull, push] = await pair(new Pull(), new Push());
    const seen: string[] = [];
    const reading = (async () => {
      for await (const [msg] of pull) {
        seen.push(text(msg));
        if (seen.length === 2) setTimeout(() => pull.close(), 5);
      }
    })();
    await push.send("1");
    await push.send("2");
    await within(reading);
    assert.deepEqual(seen, ["1", "2"]);
    push.close();
  });
});

Deno.test("zeromq: a socket nobody references is not collected while its receive() waits (3 runs)", async () => {
  const script = await tempScript(`
    import { Pull, Push } from "${COMPAT_URL}";
    const push = new Push();
    await push.bind("inproc://held");
    function start() {
      const pull = new Pull();
      pull.connect("inproc://held");
      return pull.receive(); // the only reference left is this promise
    }
    const pending = start().then(([m]) => m.toString(), (e) => e.message);
    for (let i = 0; i < 5; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    push.send("kept").catch(() => {}); // waits forever if the Pull was closed
    console.log(await pending);
    Deno.exit(0);
  `);
  try {
    for (let i = 0; i < 3; i++) {
      const r = await runDeno([
        "run",
        "--allow-ffi",
        "--allow-env",
        "--v8-flags=--expose-gc",
        script,
      ], { timeoutMs: 15_000 });
      assert.equal(r.stdout.trim(), "kept", `run ${i}: ${r.stderr}`);
    }
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("zeromq: concurrent sends queue in order (zeromq.js: EBUSY)", async () => {
  const push = new Push({ sendHighWaterMark: 1 });
  const address = inproc();
  await push.bind(address);
  try {
    // nobody connected: every send waits; none is refused
    const sends = Array.from({ length: 50 }, (_, i) => push.send(String(i)));
    const pull = new Pull();
    pull.connect(address);
    try {
      const got: string[] = [];
      while (got.length < 50) got.push(text((await within(pull.receive()))[0]));
      await within(Promise.all(sends));
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => String(i)));
    } finally {
      pull.close();
    }
  } finally {
    push.close();
  }
});

Deno.test("zeromq: a second concurrent receive is EBUSY, as in zeromq.js", async () => {
  const pull = new Pull();
  try {
    const first = pull.receive();
    await assert.rejects(() => pull.receive(), { code: "EBUSY" });
    pull.close();
    await assert.rejects(() => first, { code: "EAGAIN" });
  } finally {
    pull.close();
  }
});

Deno.test("zeromq: readable and writable", async () => {
  const [pull, push] = await pair(new Pull(), new Push());
  try {
    assert.equal(pull.writable, false);
    assert.equal(push.readable, false);
    assert.equal(pull.readable, false);
    await push.send("x");
    for (let i = 0; i < 100 && !pull.readable; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(pull.readable, true);
    assert.equal(push.writable, true);
    await pull.receive();
    assert.equal(pull.readable, false);
  } finally {
    closeAll(pull, push);
  }
});

Deno.test("zeromq: bind, unbind, connect and disconnect", async (t) => {
  await t.step("errors carry code, errno and address", async () => {
    const a = new Pull(), b = new Pull();
    try {
      await a.bind("tcp://127.0.0.1:*");
      const taken = a.lastEndpoint!;
      const error = await b.bind(taken).then(() => null, (e) => e);
      assert.equal(error?.code, "EADDRINUSE");
      assert.equal(typeof error?.errno, "number");
      assert.equal(error?.address, taken);
      assert.throws(() => b.connect("nope://x"), {
        code: "EPROTONOSUPPORT",
        address: "nope://x",
      });
      assert.throws(() => b.connect("tcp://"), { code: "EINVAL" });
      await assert.rejects(() => b.bind(7 as never), TypeError);
      assert.throws(() => b.connect(undefined as never), TypeError);
    } finally {
      closeAll(a, b);
    }
  });
  await t.step("unbind and bind again; sync forms", async () => {
    const a = new Pull();
    try {
      const address = inproc();
      await a.bind(address);
      await a.unbind(address);
      a.bindSync(address);
      a.unbindSync(address);
      await assert.rejects(() => a.unbind(address), { code: "ENOENT" });
    } finally {
      a.close();
    }
  });
  await t.step("disconnect", async () => {
    const [pull, push] = await pair(new Pull(), new Push({ sendTimeout: 0 }));
    const address = pull.lastEndpoint ?? "";
    try {
      assert.throws(() => push.disconnect("inproc://never-connected"), {
        code: "ENOENT",
      });
      void address;
    } finally {
      closeAll(pull, push);
    }
  });
});

Deno.test("zeromq: request and reply", async () => {
  const [rep, req] = await pair(new Reply(), new Request());
  try {
    for (let i = 0; i < 5; i++) {
      await req.send(String(i));
      const [msg] = await within(rep.receive());
      await rep.send(`re: ${text(msg)}`);
      assert.equal(text((await within(req.receive()))[0]), `re: ${i}`);
    }
  } finally {
    closeAll(rep, req);
  }
});

Deno.test("zeromq: Subscriber.subscribe and unsubscribe", async () => {
  const address = inproc();
  const pub = new Publisher();
  await pub.bind(address);
  const sub = new Subscriber();
  sub.connect(address);
  try {
    sub.subscribe("a", "b");
    // let the subscriptions reach the publisher
    const drain = async (topic: string) => {
      for (let i = 0; i < 200; i++) {
        await pub.send([topic, "probe"]);
        sub.receiveTimeout = 10;
        const got = await sub.receive().catch(() => null);
        if (got) return text(got[0]);
      }
      return null;
    };
    assert.equal(await drain("a"), "a");
    sub.receiveTimeout = 50;
    await pub.send(["c", "no"]);
    await pub.send(["b", "yes"]);
    assert.equal(text((await sub.receive())[0]), "b");
    sub.unsubscribe("a", "b");
    sub.subscribe();
    assert.equal(await drain("c"), "c");
    assert.throws(() => sub.subscribe(5 as never), TypeError);
  } finally {
    closeAll(pub, sub);
  }
});

Deno.test("zeromq: Router routing ids, connect with routingId, mandatory", async () => {
  const address = inproc();
  const router = new Router({ mandatory: true });
  await router.bind(address);
  const other = new Router();
  try {
    other.connect(address, { routingId: "to-server" });
    const dealer = new Dealer({ routingId: "dealer-1" });
    dealer.connect(address);
    await dealer.send("hi");
    const [id, msg] = await within(router.receive());
    assert.equal(text(id), "dealer-1");
    assert.equal(text(msg), "hi");
    await router.send(["dealer-1", "back"]);
    assert.equal(text((await within(dealer.receive()))[0]), "back");
    await assert.rejects(() => router.send(["nobody", "x"]), {
      code: "EHOSTUNREACH",
    });
    // the routing id given to connect() names the peer on the other router
    const server = new Router();
    const a2 = inproc();
    await server.bind(a2);
    other.connect(a2, { routingId: "srv" });
    for (let i = 0; i < 100; i++) {
      const sent = await other.send(["srv", "hello"]).then(() => true);
      if (sent) break;
    }
    const [from, body] = await within(server.receive());
    assert.equal(text(body), "hello");
    assert.ok(from!.length > 0);
    assert.throws(
      () => other.connect(inproc(), { routingId: 5 } as never),
      TypeError,
    );
    closeAll(dealer, server);
  } finally {
    closeAll(router, other);
  }
});

Deno.test("zeromq: XPublisher verbosity and manual mode", async () => {
  const address = inproc();
  const xpub = new XPublisher({ verbosity: "allSubs" });
  await xpub.bind(address);
  const s1 = new Subscriber(), s2 = new Subscriber();
  try {
    s1.connect(address);
    s2.connect(address);
    s1.subscribe("t");
    s2.subscribe("t");
    // allSubs: the duplicate subscription is passed on too
    const a = await within(xpub.receive());
    const b = await within(xpub.receive());
    assert.deepEqual([...a[0]!], [1, ...Buffer.from("t")]);
    assert.deepEqual([...b[0]!], [1, ...Buffer.from("t")]);
    assert.throws(
      () => (xpub as unknown as { verbosity: string }).verbosity = "loud",
      TypeError,
    );
    xpub.verbosity = null;
    xpub.verbosity = "allSubsUnsubs";
  } finally {
    closeAll(xpub, s1, s2);
  }
  const manual = new XPublisher({ manual: true });
  const a2 = inproc();
  await manual.bind(a2);
  const sub = new Subscriber();
  try {
    sub.connect(a2);
    sub.subscribe("x");
    const [subscription] = await within(manual.receive());
    assert.equal(subscription![0], 1);
    // in manual mode nothing is delivered until the application subscribes
    manual.manual = true;
  } finally {
    closeAll(manual, sub);
  }
});

Deno.test("zeromq: Stream talks raw TCP", async () => {
  const stream = new Stream({ notify: true });
  await stream.bind("tcp://127.0.0.1:*");
  const port = Number(stream.lastEndpoint!.split(":").pop());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const [id, empty] = await within(stream.receive());
    assert.equal(empty!.length, 0, "connect notification");
    await conn.write(new TextEncoder().encode("GET"));
    const [id2, data] = await within(stream.receive());
    assert.deepEqual([...id2!], [...id!]);
    assert.equal(text(data), "GET");
    await stream.send([id!, "OK"]);
    const buf = new Uint8Array(2);
    assert.equal(await conn.read(buf), 2);
    assert.equal(new TextDecoder().decode(buf), "OK");
  } finally {
    conn.close();
    stream.close();
  }
});

Deno.test("zeromq: Context options", async (t) => {
  await t.step("read and write", () => {
    const ctx = new Context({ ioThreads: 2, maxSockets: 64, ipv6: true });
    assert.equal(ctx.ioThreads, 2);
    assert.equal(ctx.maxSockets, 64);
    assert.equal(ctx.ipv6, true);
    assert.equal(ctx.blocky, true);
    assert.ok(ctx.maxSocketsLimit > 0);
    ctx.maxMessageSize = 1000;
    assert.equal(ctx.maxMessageSize, 1000);
    ctx.threadPriority = 1; // write-only: accepted
    assert.equal(
      (ctx as unknown as { threadPriority: unknown }).threadPriority,
      undefined,
    );
  });
  await t.step("blocky false gives new sockets linger 0", () => {
    const ctx = new Context({ blocky: false });
    const s = new Dealer({ context: ctx });
    try {
      assert.equal(s.linger, 0);
      assert.equal(s.context, ctx);
    } finally {
      s.close();
    }
    const d = new Dealer();
    try {
      assert.equal(d.linger, -1, "the default context is blocky");
    } finally {
      d.close();
    }
  });
  await t.step("bad input", () => {
    assert.throws(() => new Context({ ioThreads: "2" } as never), {
      name: "TypeError",
      message:
        'Cannot set context option "ioThreads" to "2": expected an integer',
    });
    assert.throws(() => new Context({ blocky: 0 } as never), TypeError);
    assert.throws(
      () => new Context({ maxSocketsLimit: 5 } as never),
      /unknown option/,
    );
    assert.throws(
      () => new Context({ nope: 1 } as never),
      /unknown option "nope"/,
    );
    assert.throws(() => new Context(7 as never), TypeError);
    const ctx = new Context();
    assert.throws(() => ctx.ioThreads = 1.5 as number, TypeError);
    assert.throws(() => ctx.maxSockets = -3, { code: "EINVAL" });
    assert.throws(
      () => (ctx as unknown as { maxSocketsLimit: number }).maxSocketsLimit = 1,
      TypeError,
    );
  });
});

Deno.test("zeromq: curveKeyPair, version, capability", () => {
  const { publicKey, secretKey } = zmq.curveKeyPair();
  assert.match(publicKey, /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/);
  assert.equal(secretKey.length, 40);
  assert.notEqual(publicKey, zmq.curveKeyPair().publicKey);
  assert.match(zmq.version, /^\d+\.\d+\.\d+$/);
  assert.equal(zmq.capability.ipc, true);
  assert.equal(typeof zmq.capability.draft, "boolean");
});

Deno.test("zeromq: CURVE between two sockets", async () => {
  const server = zmq.curveKeyPair(), client = zmq.curveKeyPair();
  const rep = new Reply({
    curveServer: true,
    curveSecretKey: server.secretKey,
  });
  await rep.bind("tcp://127.0.0.1:*");
  const req = new Request({
    curveServerKey: server.publicKey,
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
  });
  req.connect(rep.lastEndpoint!);
  try {
    await req.send("secret");
    const [msg] = await within(rep.receive());
    assert.equal(text(msg), "secret");
    assert.equal(rep.securityMechanism, "curve");
  } finally {
    closeAll(rep, req);
  }
});

Deno.test("zeromq: Observer events, by receive(), for await and on()", async (t) => {
  await t.step(
    "bind, accept, connect, handshake, disconnect, close, end",
    async () => {
      const server = new Pull();
      const events = server.events;
      assert.equal(server.events, events, "one observer per socket");
      await server.bind("tcp://127.0.0.1:*");
      const address = server.lastEndpoint!;
      const bound = await within(events.receive());
      assert.deepEqual(bound, { type: "bind", address });
      const client = new Push();
      const clientTypes: string[] = [];
      const onConnect = (e: zmq.EventOfType<"connect">) =>
        clientTypes.push(`${e.type} ${e.address}`);
      const connected = new Promise<void>((resolve) =>
        client.events.on("handshake", () => resolve())
      );
      client.events.on("connect", onConnect);
      client.connect(address);
      const accepted = await within(events.receive());
      assert.equal(accepted.type, "accept");
      await within(connected);
      assert.deepEqual(clientTypes, [`connect ${address}`]);
      client.events.off("connect", onConnect);
      await assert.rejects(() => client.events.receive(), /event emitter mode/);
      const seen: string[] = [];
      const reading = (async () => {
        for await (const e of events) seen.push(e.type);
      })();
      client.close();
      await new Promise((r) => setTimeout(r, 50));
      server.close();
      await within(reading);
      assert.ok(seen.includes("handshake"), seen.join());
      assert.ok(seen.includes("disconnect"), seen.join());
      assert.equal(seen.at(-1), "end");
      assert.equal(events.closed, true);
    },
  );
  await t.step(
    "connect:delay and connect:retry with its interval",
    async () => {
      const probe = new Pull();
      await probe.bind("tcp://127.0.0.1:*");
      const address = probe.lastEndpoint!;
      probe.close(); // a port nobody listens on now
      const push = new Push({ reconnectInterval: 20, linger: 0 });
      const events = push.events;
      push.connect(address);
      const first = await within(events.receive());
      assert.equal(first.type, "connect:delay");
      let retry: zmq.Event;
      do retry = await within(events.receive()); while (
        retry.type !== "connect:retry"
      );
      // libzmq adds up to one interval of random jitter
      const { interval } = retry as zmq.EventOfType<"connect:retry">;
      assert.ok(interval >= 20 && interval < 40, String(interval));
      assert.equal(
        (retry as zmq.EventOfType<"connect:retry">).address,
        address,
      );
      push.close();
    },
  );
  await t.step("handshake:error:auth with the ZAP status", async () => {
    // a ZAP handler that refuses everyone, written with this layer
    const zap = new Router();
    await zap.bind("inproc://zeromq.zap.01");
    const serving = (async () => {
      const [id, empty, _version, requestId] = await within(zap.receive());
      await zap.send([id!, empty!, "1.0", requestId!, "400", "denied", "", ""]);
    })();
    const server = new Pull({ plainServer: true });
    const events = server.events;
    await server.bind("tcp://127.0.0.1:*");
    const client = new Push({
      plainUsername: "u",
      plainPassword: "p",
      linger: 0,
    });
    client.connect(server.lastEndpoint!);
    try {
      await within(serving);
      let e: zmq.Event;
      do e = await within(events.receive()); while (
        e.type !== "handshake:error:auth"
      );
      const error = (e as zmq.EventOfType<"handshake:error:auth">).error;
      assert.equal(error.status, 400);
      assert.equal(error.message, "Authentication failure");
    } finally {
      closeAll(client, server, zap);
    }
  });
  await t.step("handshake:error:protocol with its code", async () => {
    const server = zmq.curveKeyPair(), wrong = zmq.curveKeyPair();
    const client = zmq.curveKeyPair();
    const rep = new Reply({
      curveServer: true,
      curveSecretKey: server.secretKey,
    });
    const events = rep.events;
    await rep.bind("tcp://127.0.0.1:*");
    const req = new Request({
      curveServerKey: wrong.publicKey, // not the server's: HELLO cannot be opened
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
      linger: 0,
    });
    req.connect(rep.lastEndpoint!);
    try {
      let e: zmq.Event;
      do e = await within(events.receive()); while (
        e.type !== "handshake:error:protocol"
      );
      const error = (e as zmq.EventOfType<"handshake:error:protocol">).error;
      assert.equal(error.code, "ERR_ZMTP_CRYPTOGRAPHIC");
      assert.equal(error.message, "ZMTP protocol error");
    } finally {
      closeAll(req, rep);
    }
  });
  await t.step("close() of the observer; bad input", () => {
    const s = new Pull();
    const events = s.events;
    events.close();
    events.close();
    assert.equal(events.closed, true);
    assert.throws(() => events.on("bind", 5 as never), TypeError);
    assert.throws(() => new zmq.Observer({} as never), TypeError);
    s.close();
  });
});

Deno.test("zeromq: a Proxy refuses a socket with a receive() waiting, changing nothing, and takes one whose calls waited before", async () => {
  const front = new Router(), back = new Dealer();
  const address = inproc(), backAddress = inproc();
  try {
    await front.bind(address);
    await back.bind(backAddress);
    // a receive waiting now: refused, nothing changed
    const pending = front.receive();
    await assert.rejects(() => new Proxy(front, back).run(), {
      code: "EBUSY",
      message: /a send\(\) or receive\(\) is waiting on its front-end socket/,
    });
    assert.equal(front.closed, false);
    assert.equal(back.closed, false);
    const dealer = new Dealer({ receiveTimeout: 5000 });
    dealer.connect(address);
    await dealer.send("still works");
    assert.equal(text((await within(pending))[1]), "still works");
    // the front-end's receive waited on the loop, and is done: a proxy
    // takes it now (the loop lets go of it)
    const worker = new Dealer();
    worker.connect(backAddress);
    const proxy = new Proxy(front, back);
    const running = proxy.run();
    await dealer.send("through the proxy");
    const routed = await within(worker.receive()); // [routing id, body]
    assert.equal(text(routed[routed.length - 1]!), "through the proxy");
    await worker.send(routed);
    assert.equal(
      text((await within(dealer.receive()))[0]),
      "through the proxy",
    );
    proxy.terminate();
    await within(running);
    assert.equal(front.closed, true);
    assert.equal(back.closed, true);
    dealer.close();
    worker.close();
  } finally {
    closeAll(front, back);
  }
});

Deno.test("zeromq: Proxy run, pause, resume, terminate", async () => {
  const front = inproc(), back = inproc();
  const proxy = new Proxy(new Router(), new Dealer());
  assert.throws(() => proxy.pause(), { code: "EBADF" });
  await proxy.frontEnd.bind(front);
  await proxy.backEnd.bind(back);
  const running = proxy.run();
  const rep = new Reply(), req = new Request({ receiveTimeout: 5000 });
  rep.connect(back);
  req.connect(front);
  try {
    await req.send("ping");
    await rep.send((await within(rep.receive()))[0]!);
    assert.equal(text((await within(req.receive()))[0]), "ping");
    proxy.pause();
    await req.send("while paused");
    rep.receiveTimeout = 100;
    await assert.rejects(() => rep.receive(), { code: "EAGAIN" });
    proxy.resume();
    rep.receiveTimeout = 5000;
    assert.equal(text((await within(rep.receive()))[0]), "while paused");
    await assert.rejects(() => proxy.frontEnd.send(["x"]), { code: "EBUSY" });
    assert.throws(() => proxy.frontEnd.close(), { code: "EBUSY" });
    assert.equal(proxy.frontEnd.closed, false);
    await assert.rejects(() => proxy.run(), { code: "EBUSY" });
    proxy.terminate();
    await within(running);
    assert.equal(proxy.frontEnd.closed, true);
    assert.equal(proxy.backEnd.closed, true);
  } finally {
    closeAll(rep, req);
  }
  assert.throws(() => new Proxy({} as never, {} as never), TypeError);
});

Deno.test("zeromq: the process exits with sockets left open, and on Deno.exit() (10 runs each)", async () => {
  const script = await tempScript(`
    import { Dealer, Publisher, Pull, Push, Router } from "${COMPAT_URL}";
    const router = new Router();
    await router.bind("tcp://127.0.0.1:*");
    const dealer = new Dealer();
    dealer.connect(router.lastEndpoint);
    await dealer.send("hello");
    const [id, msg] = await router.receive();
    await router.send([id, "bye"]);
    await dealer.receive();
    const pull = new Pull({ receiveTimeout: 20 });
    await pull.receive().catch(() => {});
    // a receive that waited (on the loop), then got its message
    const waited = new Pull();
    await waited.bind("inproc://waited");
    const feeder = new Push();
    feeder.connect("inproc://waited");
    const got = waited.receive();
    await feeder.send("late");
    await got;
    new Publisher().bind("tcp://127.0.0.1:*");
    const push = new Push({ linger: 0 });
    push.connect("tcp://127.0.0.1:1");
    console.log("done");
  `);
  // Deno.exit() while a receive waits in the loop's native poll
  const exiting = await tempScript(`
    import { Pull } from "${COMPAT_URL}";
    const pull = new Pull();
    await pull.bind("tcp://127.0.0.1:*");
    pull.receive().catch(() => {});
    setTimeout(() => { console.log("done"); Deno.exit(0); }, 10);
  `);
  try {
    for (const program of [script, exiting]) {
      for (let i = 0; i < 10; i++) {
        const r = await runDeno(
          ["run", "--allow-ffi", "--allow-env", program],
          { timeoutMs: 15_000 },
        );
        assert.equal(r.stdout.trim(), "done", r.stderr);
        assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
      }
    }
  } finally {
    await Deno.remove(script);
    await Deno.remove(exiting);
  }
});

Deno.test("zeromq: at exit, blocky contexts wait for queued messages; blocky false and linger 0 do not", async (t) => {
  const program = (setup: string, options = "") =>
    tempScript(`
      import { context, Push } from "${COMPAT_URL}";
      ${setup}
      const push = new Push(${options});
      push.connect("tcp://127.0.0.1:1"); // nobody will ever accept
      await push.send("undeliverable");
      console.log("sent");
    `);
  const run = (script: string, timeoutMs: number) =>
    runDeno(["run", "--allow-ffi", "--allow-env", script], { timeoutMs });
  await t.step(
    "default (blocky): the process waits, as zeromq.js documents",
    async () => {
      const script = await program("");
      try {
        const start = performance.now();
        const r = await run(script, 1500);
        assert.equal(r.stdout.trim(), "sent");
        assert.notEqual(r.code, 0, "killed by the timeout");
        assert.ok(performance.now() - start >= 1400);
      } finally {
        await Deno.remove(script);
      }
    },
  );
  for (
    const [name, setup, options] of [
      ["context.blocky = false", "context.blocky = false;", ""],
      ["linger: 0", "void context;", "{ linger: 0 }"],
    ]
  ) {
    await t.step(`${name}: the process exits (5 runs)`, async () => {
      const script = await program(setup!, options);
      try {
        for (let i = 0; i < 5; i++) {
          const r = await run(script, 15_000);
          assert.equal(r.stdout.trim(), "sent", r.stderr);
          assert.equal(r.code, 0, `run ${i}: ${r.stderr}`);
        }
      } finally {
        await Deno.remove(script);
      }
    });
  }
});

Deno.test("zeromq: every writable option takes its own type and refuses others", () => {
  const wrong: Record<string, unknown[]> = {
    bool: [1, "true", null],
    number: ["1", true, null, NaN],
    text: [1, true, {}],
  };
  const sample = (shape: string, name: string) =>
    shape === "bool"
      ? true
      : shape === "number"
      ? (name.startsWith("heartbeat") ? 100 : 1)
      : "127.0.0.1";
  for (const [name, Class, type] of CLASSES) {
    const s = loose(new Class());
    try {
      for (const option of COMPAT_OPTIONS) {
        if (!option.on(type) || !option.spec.write) continue;
        const where = `${name}.${option.name}`;
        const shape = typeof option.shape === "string" ? option.shape : "enum";
        for (const bad of wrong[shape] ?? [42, "nonsense"]) {
          assert.throws(
            () => s[option.name] = bad,
            TypeError,
            `${where} = ${String(bad)}`,
          );
        }
        if (
          option.name.startsWith("vmci") || option.name.startsWith("gssapi")
        ) continue;
        if (option.name.startsWith("curve") && shape === "text") continue; // keys: 40 chars, tested above
        if (option.name === "routingId" || option.name === "welcomeMessage") {
          s[option.name] = "id";
          continue;
        }
        // heartbeatTimeout reads -1 (unset) but only takes values >= 0
        if (option.spec.read && !option.name.startsWith("heartbeat")) {
          // writing back what was read works for every readable option
          const value = s[option.name];
          if (value !== null) s[option.name] = value;
        } else {
          s[option.name] = sample(shape, option.name);
        }
      }
    } finally {
      s.close();
    }
  }
});

Deno.test("zeromq: Router handover gives a routing id to the newest peer", async () => {
  const address = inproc();
  const router = new Router({ handover: true });
  await router.bind(address);
  const first = new Dealer({ routingId: "same" });
  const second = new Dealer({ routingId: "same", receiveTimeout: 5000 });
  try {
    first.connect(address);
    await first.send("one");
    assert.equal(text((await within(router.receive()))[1]), "one");
    second.connect(address);
    await second.send("two");
    const [id, body] = await within(router.receive());
    assert.equal(text(id), "same");
    assert.equal(text(body), "two");
    await router.send(["same", "to the newest"]);
    assert.equal(text((await second.receive())[0]), "to the newest");
  } finally {
    closeAll(router, first, second);
  }
});
