/**
 * Socket monitor messages as zeromq.js's `Event` objects: its event names
 * (`"bind"`, `"connect:retry"`, `"handshake:error:auth"`, ...) and payloads
 * (`address`, `interval`, `error` with `errno`/`code`/`status`).
 *
 * @module
 */

import {
  EVENT_ACCEPT_FAILED,
  EVENT_ACCEPTED,
  EVENT_BIND_FAILED,
  EVENT_CLOSE_FAILED,
  EVENT_CLOSED,
  EVENT_CONNECT_DELAYED,
  EVENT_CONNECT_RETRIED,
  EVENT_CONNECTED,
  EVENT_DISCONNECTED,
  EVENT_HANDSHAKE_FAILED_AUTH,
  EVENT_HANDSHAKE_FAILED_NO_DETAIL,
  EVENT_HANDSHAKE_FAILED_PROTOCOL,
  EVENT_HANDSHAKE_SUCCEEDED,
  EVENT_LISTENING,
  EVENT_MONITOR_STOPPED,
} from "../ffi/constants.ts";
import { parseMonitorMessage } from "../ffi/monitor.ts";
import { errnoError } from "./_errors.ts";

/** zeromq.js's name of each libzmq monitor event. */
export const EVENT_TYPES: Readonly<Record<number, string>> = {
  [EVENT_CONNECTED]: "connect",
  [EVENT_CONNECT_DELAYED]: "connect:delay",
  [EVENT_CONNECT_RETRIED]: "connect:retry",
  [EVENT_LISTENING]: "bind",
  [EVENT_BIND_FAILED]: "bind:error",
  [EVENT_ACCEPTED]: "accept",
  [EVENT_ACCEPT_FAILED]: "accept:error",
  [EVENT_CLOSED]: "close",
  [EVENT_CLOSE_FAILED]: "close:error",
  [EVENT_DISCONNECTED]: "disconnect",
  [EVENT_MONITOR_STOPPED]: "end",
  [EVENT_HANDSHAKE_FAILED_NO_DETAIL]: "handshake:error:other",
  [EVENT_HANDSHAKE_SUCCEEDED]: "handshake",
  [EVENT_HANDSHAKE_FAILED_PROTOCOL]: "handshake:error:protocol",
  [EVENT_HANDSHAKE_FAILED_AUTH]: "handshake:error:auth",
};

// libzmq's ZMQ_PROTOCOL_ERROR_* values (zmq.h), by zeromq.js's code name.
const PROTOCOL_ERRORS: Readonly<Record<number, string>> = {
  0x10000000: "ZMTP_UNSPECIFIED",
  0x10000001: "ZMTP_UNEXPECTED_COMMAND",
  0x10000002: "ZMTP_INVALID_SEQUENCE",
  0x10000003: "ZMTP_KEY_EXCHANGE",
  0x10000011: "ZMTP_MALFORMED_COMMAND_UNSPECIFIED",
  0x10000012: "ZMTP_MALFORMED_COMMAND_MESSAGE",
  0x10000013: "ZMTP_MALFORMED_COMMAND_HELLO",
  0x10000014: "ZMTP_MALFORMED_COMMAND_INITIATE",
  0x10000015: "ZMTP_MALFORMED_COMMAND_ERROR",
  0x10000016: "ZMTP_MALFORMED_COMMAND_READY",
  0x10000017: "ZMTP_MALFORMED_COMMAND_WELCOME",
  0x10000018: "ZMTP_INVALID_METADATA",
  0x11000001: "ZMTP_CRYPTOGRAPHIC",
  0x11000002: "ZMTP_MECHANISM_MISMATCH",
  0x20000000: "ZAP_UNSPECIFIED",
  0x20000001: "ZAP_MALFORMED_REPLY",
  0x20000002: "ZAP_BAD_REQUEST_ID",
  0x20000003: "ZAP_BAD_VERSION",
  0x20000004: "ZAP_INVALID_STATUS_CODE",
  0x20000005: "ZAP_INVALID_METADATA",
};

const AUTH_ERRORS: Readonly<Record<number, string>> = {
  300: "Temporary error",
  400: "Authentication failure",
  500: "Internal error",
};

/** A decoded event: `type`, and `address`, `interval` or `error` where zeromq.js has them. */
export interface RawEvent {
  type: string;
  address?: string;
  interval?: number;
  error?: Error;
}

/** Decodes a two-part monitor message into zeromq.js's event object. */
export function toEvent(parts: Uint8Array[]): RawEvent {
  const { event, value, endpoint } = parseMonitorMessage(parts);
  const out: RawEvent = { type: EVENT_TYPES[event] ?? "unknown" };
  if (endpoint !== "") out.address = endpoint;
  switch (event) {
    case EVENT_CONNECT_RETRIED:
      out.interval = value;
      break;
    case EVENT_BIND_FAILED:
    case EVENT_ACCEPT_FAILED:
    case EVENT_CLOSE_FAILED:
    case EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      out.error = errnoError(value);
      break;
    case EVENT_HANDSHAKE_FAILED_PROTOCOL: {
      const name = PROTOCOL_ERRORS[value];
      const error = new Error(
        name ? `${name.split("_")[0]} protocol error` : "Unknown error",
      );
      (error as Error & { code: string }).code = name
        ? `ERR_${name}`
        : "ERR_UNKNOWN";
      out.error = error;
      break;
    }
    case EVENT_HANDSHAKE_FAILED_AUTH: {
      const error = new Error(AUTH_ERRORS[value] ?? "Unknown error");
      (error as Error & { status: number }).status = value;
      out.error = error;
      break;
    }
  }
  return out;
}
