// Where the Cleanroom server is and how to talk to it: the same address rules as the `cleanroom` CLI.
import { getuid } from "node:process";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

/**
 * `--host`, else CLEANROOM_HOST, else the default socket: $XDG_RUNTIME_DIR/cleanroom/cleanroom.sock, or without
 * XDG_RUNTIME_DIR /run/cleanroom/cleanroom.sock for root and /tmp/cleanroom-$UID/cleanroom.sock for anyone else.
 * An address is `unix:///absolute/path` or `http://127.0.0.1:PORT`.
 */
export function serverAddress(hostFlag?: string): string {
  if (hostFlag) return hostFlag;
  const fromEnvironment = process.env.CLEANROOM_HOST;
  if (fromEnvironment) return fromEnvironment;
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  if (runtimeDir?.startsWith("/")) return `unix://${runtimeDir}/cleanroom/cleanroom.sock`;
  const uid = getuid?.() ?? 0;
  return uid === 0 ? "unix:///run/cleanroom/cleanroom.sock" : `unix:///tmp/cleanroom-${uid}/cleanroom.sock`;
}

/**
 * The Connect protocol with binary messages over HTTP/1.1: bytes of output travel as they are (JSON would base64
 * them), and node's HTTP/1.1 client reaches a unix socket through `socketPath` with no extra code. The server
 * also takes Connect JSON, HTTP/2 and gRPC on the same address (see test/api-checks.ts).
 */
export function connectTransport(address: string): Transport {
  if (address.startsWith("unix://")) {
    const socketPath = address.slice("unix://".length);
    if (!socketPath.startsWith("/")) throw new Error(`a unix address needs an absolute path: ${address}`);
    // The host name is not used to connect; it only fills the request's Host header.
    return createConnectTransport({
      baseUrl: "http://localhost",
      httpVersion: "1.1",
      useBinaryFormat: true,
      nodeOptions: { socketPath },
    });
  }
  if (address.startsWith("http://")) {
    return createConnectTransport({ baseUrl: address, httpVersion: "1.1", useBinaryFormat: true });
  }
  throw new Error(`unsupported server address ${address}: use unix:///path or http://127.0.0.1:PORT`);
}
