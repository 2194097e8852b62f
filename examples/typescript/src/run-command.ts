// Runs one command in a fresh Cleanroom sandbox and streams its output as it is produced:
//
//   node dist/src/run-command.js [--host ADDRESS] --image NAME@sha256:DIGEST [--allow HOST:PORT ...] -- COMMAND [ARG ...]
//
// The command's stdout and stderr go to this process's stdout and stderr; this process exits with the command's
// exit code. Progress lines ("sandbox ... ready") go to stderr, prefixed "cleanroom:". Ctrl-C cancels the command;
// the sandbox is terminated in every case.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { SandboxService } from "./gen/cleanroom/v1/sandbox_pb.js";
import { ExecutionService } from "./gen/cleanroom/v1/execution_pb.js";
import { connectTransport, serverAddress } from "./connection.js";
import { cleanroomReason } from "./error-reason.js";

const { values: flags, positionals: command } = parseArgs({
  options: {
    host: { type: "string" },
    image: { type: "string" },
    allow: { type: "string", multiple: true, default: [] },
  },
  allowPositionals: true,
});
if (flags.image === undefined || command.length === 0) {
  console.error("usage: run-command [--host ADDRESS] --image NAME@sha256:DIGEST [--allow HOST:PORT ...] -- COMMAND [ARG ...]");
  process.exit(2);
}

const transport = connectTransport(serverAddress(flags.host));
const sandboxes = createClient(SandboxService, transport);
const executions = createClient(ExecutionService, transport);

// Upstream Cleanroom's policy shape: an image and the hosts it may reach (everything else is denied). The server
// compiles it like a cleanroom.yaml. A full cleanroom.yaml (registries, secrets, setup blocks) goes as
// policy_json + policy_hash instead; see the README.
function allowRule(entry: string) {
  const match = /^(.+):(\d+)$/.exec(entry);
  if (!match) throw new Error(`--allow wants HOST:PORT, got ${entry}`);
  return { host: match[1], ports: [Number(match[2])] };
}

// Waits when the pipe is full, so a command with a lot of output is not buffered whole in this process.
async function write(stream: NodeJS.WriteStream, bytes: Uint8Array): Promise<void> {
  if (!stream.write(bytes)) await once(stream, "drain");
}

async function main(): Promise<number> {
  // CreateSandbox answers once the sandbox is READY (or fails with a stable code).
  const { sandbox } = await sandboxes.createSandbox({
    policy: { version: 1, imageRef: flags.image, allow: flags.allow!.map(allowRule) },
  });
  const sandboxId = sandbox!.sandboxId;
  console.error(`cleanroom: sandbox ${sandboxId} ready (${sandbox!.backend}, policy ${sandbox!.policyHash})`);
  try {
    const { execution } = await executions.createExecution({ sandboxId, command });
    const executionId = execution!.executionId;
    const cancel = () => void executions.cancelExecution({ sandboxId, executionId }).catch(() => {});
    process.once("SIGINT", cancel);
    try {
      // Server streaming: one event per chunk of output, as the command writes it; the last one is the exit.
      for await (const event of executions.streamExecution({ sandboxId, executionId, follow: true })) {
        if (event.outputTruncated) console.error(`cleanroom: ${event.truncatedBytes} bytes of output were dropped`);
        switch (event.payload.case) {
          case "stdout":
            await write(process.stdout, event.payload.value);
            break;
          case "stderr":
            await write(process.stderr, event.payload.value);
            break;
          case "exit": {
            const exit = event.payload.value;
            if (exit.error) console.error(`cleanroom: ${exit.error.code}: ${exit.error.message}`);
            console.error(`cleanroom: exit code ${exit.exitCode}`);
            return exit.exitCode;
          }
        }
      }
      throw new Error(`the output stream of ${executionId} ended without an exit`);
    } finally {
      process.off("SIGINT", cancel);
    }
  } finally {
    await sandboxes.terminateSandbox({ sandboxId });
    console.error(`cleanroom: sandbox ${sandboxId} terminated`);
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  const reason = cleanroomReason(error);
  console.error(`cleanroom: ${reason ?? "error"}: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
