/**
 * A CURVE-secured PUB/SUB: certificates are made with createCertificates,
 * an Authenticator on the loop admits only the subscribers whose public
 * certificate is in the server's folder. The trusted subscriber gets the
 * updates; the stranger (valid keys, but unknown) gets nothing.
 *
 * Run: deno task secure_pubsub [endpoint] [count]   (count 0: until Ctrl-C)
 */

import {
  Authenticator,
  createCertificates,
  CURVE_PUBLICKEY,
  CURVE_SECRETKEY,
  CURVE_SERVER,
  CURVE_SERVERKEY,
  loadCertificate,
  PeriodicCallback,
  PUB,
  SUB,
  ZMQStream,
} from "../mod.ts";
import { boundEndpoint, runExample } from "./_main.ts";

if (import.meta.main) {
  await runExample("secure_pubsub", 3, async (ex) => {
    const { context, loop, endpoint, count, log, own, finish } = ex;
    const dir = await Deno.makeTempDir({ prefix: "zmqloop-certs-" });
    ex.atExit(() => Deno.removeSync(dir, { recursive: true }));
    // Keys: the server's pair, a trusted client's, a stranger's.
    const [, serverSecretFile] = await createCertificates(dir, "server");
    const [, trustedSecretFile] = await createCertificates(
      `${dir}/trusted`,
      "client",
    );
    const [, strangerSecretFile] = await createCertificates(
      `${dir}/strangers`,
      "stranger",
    );
    const [serverPublic, serverSecret] = await loadCertificate(
      serverSecretFile,
    );

    const auth = own(new Authenticator(context, { ioLoop: loop }));
    auth.start();
    auth.configureCurve("*", `${dir}/trusted`); // the folder of public keys

    const publisher = own(context.socket(PUB));
    publisher.setsockopt(CURVE_SERVER, 1);
    publisher.setsockopt(CURVE_SECRETKEY, serverSecret!);
    publisher.bind(endpoint);

    const subscriber = async (name: string, secretFile: string) => {
      const [pub, secret] = await loadCertificate(secretFile);
      const socket = context.socket(SUB);
      socket.setsockopt(CURVE_SERVERKEY, serverPublic);
      socket.setsockopt(CURVE_PUBLICKEY, pub);
      socket.setsockopt(CURVE_SECRETKEY, secret!);
      socket.subscribe("");
      socket.connect(boundEndpoint(publisher));
      const stream = own(new ZMQStream(socket, loop));
      let got = 0;
      stream.onRecv(([update]) => {
        log(`${name} got "${new TextDecoder().decode(update)}"`);
        if (++got === count) {
          log(`${name} received ${got} encrypted updates`);
          finish();
        }
      });
    };
    await subscriber("trusted", trustedSecretFile);
    await subscriber("stranger", strangerSecretFile);

    let n = 0;
    own(
      new PeriodicCallback(
        () => {
          publisher.send(`update ${++n}`);
        },
        20,
        { ioLoop: loop },
      ),
    ).start();
  });
}
