import assert from "node:assert/strict";
import { CURVE_ALLOW_ANY, curveKeypair, z85Decode } from "../mod.ts";
import { ZapPolicy, zapReply } from "../auth/_zap_policy.ts";

const enc = new TextEncoder();
const request = (mechanism: string, ...credentials: Uint8Array[]) => [
  ...["1.0", "7", "global", "127.0.0.1", "", mechanism].map((s) =>
    enc.encode(s) as Uint8Array
  ),
  ...credentials,
];

Deno.test("ZapPolicy.decide() without sockets", async (t) => {
  await t.step("NULL, PLAIN, malformed and address rules", () => {
    const policy = new ZapPolicy();
    assert.equal(
      (policy.decide(request("NULL"), () => {}) as { status: string }).status,
      "200",
    );
    policy.configurePlain("*", { admin: "secret" });
    const ok = policy.decide(
      request("PLAIN", enc.encode("admin"), enc.encode("secret")),
      () => {},
    );
    assert.deepEqual(
      [(ok as { status: string }).status, (ok as { userId: string }).userId],
      ["200", "admin"],
    );
    const bad = policy.decide(
      request("PLAIN", enc.encode("admin"), enc.encode("x")),
      () => {},
    );
    assert.equal(
      (bad as { reason: string }).reason,
      "Invalid user name or password",
    );
    const short = policy.decide(request("NULL").slice(0, 3), () => {});
    assert.match(
      (short as { reason: string }).reason,
      /Malformed ZAP request: 3 frames/,
    );
    policy.deny("127.0.0.1");
    assert.equal(
      (policy.decide(request("NULL"), () => {}) as { reason: string }).reason,
      "Address denied",
    );
  });

  await t.step(
    "one CURVE policy per domain: a callback replaces keys and back",
    async () => {
      const policy = new ZapPolicy();
      const [pub] = curveKeypair();
      const key = z85Decode(pub);
      policy.configureCurve("*", [pub]);
      assert.equal(
        (policy.decide(request("CURVE", key), () => {}) as { status: string })
          .status,
        "200",
      );
      policy.configureCurveCallback(() => false); // the overload without a domain
      const refused = await policy.decide(request("CURVE", key), () => {});
      assert.equal(refused.reason, "Refused by the callback");
      policy.configureCurve("*", CURVE_ALLOW_ANY);
      assert.equal(
        (policy.decide(request("CURVE", key), () => {}) as { status: string })
          .status,
        "200",
      );
      const errors: unknown[] = [];
      policy.configureCurveCallback("*", () => {
        throw new Error("broken");
      });
      const failed = await policy.decide(
        request("CURVE", key),
        (e) => errors.push(e),
      );
      assert.equal(failed.status, "400");
      assert.equal(errors.length, 1);
      assert.throws(
        () => policy.configureCurveCallback("*", 5 as never),
        TypeError,
      );
      assert.throws(() => policy.configureCurveCallback(5 as never), TypeError);
    },
  );

  await t.step("zapReply encodes RFC 27's frames", () => {
    const env = [enc.encode("peer"), new Uint8Array(0)];
    assert.deepEqual(
      zapReply(env, {
        requestId: "7",
        status: "200",
        reason: "OK",
        userId: "u",
      }).slice(2),
      ["1.0", "7", "200", "OK", "u", ""],
    );
  });
});
