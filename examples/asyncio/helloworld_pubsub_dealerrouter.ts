/**
 * PUB/SUB and DEALER/ROUTER together, after PyZMQ's
 * examples/asyncio/helloworld_pubsub_dealerrouter.py: a publisher sends
 * "Hello World" (or "Hello Sekai") on topic "world" to a subscriber, and
 * each command a DEALER sends to a ROUTER switches the language.
 *
 * Four coroutines on one loop, as in PyZMQ; the subscriber binds and the
 * publisher connects. The publisher sends every 50 ms and the dealer every
 * 200 ms (PyZMQ's example: 0.5 s and 2 s).
 *
 * Run: deno task asyncio:helloworld [endpoint] [count]   (count 0: until Ctrl-C)
 */

import {
  DEALER,
  LAST_ENDPOINT,
  PUB,
  ROUTER,
  ROUTING_ID,
  SUB,
  zmqVersion,
} from "../../mod.ts";
import { runAsyncExample } from "./_run.ts";

/** The message to publish, in the current language. */
class HelloWorld {
  lang = "eng";
  msg = "Hello World";

  changeLanguage(): void {
    if (this.lang === "eng") {
      this.lang = "jap";
      this.msg = "Hello Sekai";
    } else {
      this.lang = "eng";
      this.msg = "Hello World";
    }
  }
}

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

if (import.meta.main) {
  await runAsyncExample(
    "helloworld",
    8,
    async ({ endpoint, count, log, socket, sleep, stopping }) => {
      log(`libzmq ${zmqVersion()}`);
      const hello = new HelloWorld();
      let received = 0, changes = 0;
      // Until `count` messages arrived, in both languages.
      const running = () => (received < count || changes === 0) && !stopping();

      const sub = socket(SUB);
      sub.bind(endpoint);
      sub.subscribe("world");
      log("world sub initialized");
      const router = socket(ROUTER);
      router.bind("tcp://127.0.0.1:*");
      log("command router initialized");

      const publisher = async () => {
        const pub = socket(PUB);
        pub.connect(String(sub.getsockopt(LAST_ENDPOINT)));
        await sleep(100); // let the subscription reach the publisher
        while (running()) {
          log(`world pub: ${hello.msg}`);
          await pub.sendMultipart(["world", hello.msg]);
          await sleep(50);
        }
      };

      const subscriber = async () => {
        while (running()) {
          const [topic, msg] = await sub.recvMultipart();
          log(`world sub; topic: ${decode(topic!)}\tmessage: ${decode(msg!)}`);
          received++;
        }
      };

      const dealer = async () => {
        const deal = socket(DEALER);
        deal.setsockopt(ROUTING_ID, "lang_dealer");
        deal.connect(String(router.getsockopt(LAST_ENDPOINT)));
        log("command dealer initialized");
        await sleep(100);
        while (running()) {
          await sleep(200);
          if (!running()) break;
          log("command deal: Change that language!");
          await deal.sendMultipart(["Change that language!"]);
        }
      };

      const langChanger = async () => {
        while (running()) {
          const [id, msg] = await router.recvMultipart();
          log(
            `command rout; sender id: ${decode(id!)}\tmessage: ${decode(msg!)}`,
          );
          hello.changeLanguage();
          changes++;
          log(`changed language! New language is: ${hello.lang}`);
        }
      };

      // The receivers end with the senders: a receive still pending then
      // rejects when its socket closes (ENOTSOCK), which is expected here.
      const receivers = [subscriber(), langChanger()].map((p) =>
        p.catch((error) => {
          if (!sub.closed && !router.closed) throw error;
        })
      );
      await Promise.all([publisher(), dealer()]);
      log(`received ${received} messages, language changed ${changes} times`);
      sub.close();
      router.close();
      await Promise.all(receivers);
    },
  );
}
