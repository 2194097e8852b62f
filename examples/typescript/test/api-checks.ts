// An independent client for Cleanroom's API: connect-es over the Connect protocol (HTTP/1.1) and over gRPC
// (HTTP/2), both on the server's unix socket. It knows nothing of the .NET code; it only has the .proto files.
//
// Usage: node dist/test/api-checks.js /path/to/cleanroom.sock
// Expects the test-double services of tests/Cleanroom.Api.Tests: two sandboxes (sb-1, sb-2); CreateSandbox
// rejects a policy_json without "version": 1 as policy_invalid; StreamSandboxEvents sends three events, or two
// and then backend_unavailable for sandbox "fail-mid-stream".
import { connect as netConnect } from "node:net";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { SandboxService } from "../src/gen/cleanroom/v1/sandbox_pb.js";
import { cleanroomReason } from "../src/error-reason.js";

const socketPath = process.argv[2];
if (!socketPath) {
  console.error("usage: node dist/test/api-checks.js SOCKET_PATH");
  process.exit(2);
}

const transports: Record<string, Transport> = {
  "connect+json (HTTP/1.1)": createConnectTransport({
    baseUrl: "http://localhost",
    httpVersion: "1.1",
    nodeOptions: { socketPath },
  }),
  "connect+proto (HTTP/1.1)": createConnectTransport({
    baseUrl: "http://localhost",
    httpVersion: "1.1",
    useBinaryFormat: true,
    nodeOptions: { socketPath },
  }),
  "connect+json (HTTP/2)": createConnectTransport({
    baseUrl: "http://localhost",
    httpVersion: "2",
    nodeOptions: { createConnection: () => netConnect(socketPath) },
  }),
  "grpc (HTTP/2)": createGrpcTransport({
    baseUrl: "http://localhost",
    // HTTP/2 prior knowledge over the unix socket: node's http2 dials through this instead of TCP.
    nodeOptions: { createConnection: () => netConnect(socketPath) },
  }),
};

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function expectError(promise: Promise<unknown>, code: Code, reason: string): Promise<ConnectError> {
  try {
    await promise;
  } catch (e) {
    const error = ConnectError.from(e);
    check(error.code === code, `expected code ${Code[code]}, got ${Code[error.code]}: ${error.rawMessage}`);
    const got = cleanroomReason(error);
    check(got === reason, `expected ErrorInfo reason ${reason}, got ${got}`);
    return error;
  }
  throw new Error(`expected a ${reason} error, but the call succeeded`);
}

const checks: [string, () => Promise<void>][] = [];
for (const [name, transport] of Object.entries(transports)) {
  const client = createClient(SandboxService, transport);

  checks.push([`${name}: ListSandboxes returns both sandboxes`, async () => {
    const response = await client.listSandboxes({});
    const ids = response.sandboxes.map((s) => s.sandboxId).join(",");
    check(ids === "sb-1,sb-2", `sandboxes were ${ids}`);
  }]);

  checks.push([`${name}: CreateSandbox with an invalid policy fails with policy_invalid`, async () => {
    const error = await expectError(
      client.createSandbox({ policyJson: '{"version": 99}', policyHash: "sha256:x" }),
      Code.InvalidArgument,
      "policy_invalid",
    );
    check(error.rawMessage.startsWith("policy_invalid: "), `message was ${error.rawMessage}`);
  }]);

  checks.push([`${name}: CreateSandbox with a valid policy succeeds`, async () => {
    const response = await client.createSandbox({ policyJson: '{"version": 1}', policyHash: "sha256:ok" });
    check(response.sandbox?.policyHash === "sha256:ok", `policy hash was ${response.sandbox?.policyHash}`);
  }]);

  checks.push([`${name}: StreamSandboxEvents streams events, then the stable code of a failure`, async () => {
    const events: string[] = [];
    for await (const event of client.streamSandboxEvents({ sandboxId: "sb-1" })) events.push(event.message);
    check(events.join("|") === "event 0|event 1|event 2", `events were ${events.join("|")}`);
    const before: unknown[] = [];
    await expectError((async () => {
      for await (const event of client.streamSandboxEvents({ sandboxId: "fail-mid-stream" })) before.push(event);
    })(), Code.Unavailable, "backend_unavailable");
    check(before.length === 2, `received ${before.length} events before the failure`);
  }]);
}

let passed = 0;
let failed = 0;
for (const [name, run] of checks) {
  try {
    await run();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e instanceof Error ? e.message : e}`);
  }
}
// Worded so that CI log scanners do not take it for the test runner's own summary line.
console.log(`summary: ${passed} of ${checks.length} checks passed`);
process.exit(failed === 0 ? 0 : 1);
