// Every Cleanroom error carries a google.rpc.ErrorInfo whose reason is a stable code (`policy_invalid`,
// `backend_unavailable`, ...) in the domain `cleanroom.dev`. Branch on that code, not on the message.
import { ConnectError } from "@connectrpc/connect";
import { BinaryReader } from "@bufbuild/protobuf/wire";

export const errorDomain = "cleanroom.dev";

/** The stable code of a Cleanroom error, or undefined for an error that did not come from the server. */
export function cleanroomReason(error: unknown): string | undefined {
  const connectError = ConnectError.from(error);
  for (const detail of connectError.details) {
    if (!("type" in detail) || detail.type !== "google.rpc.ErrorInfo") continue;
    const info = decodeErrorInfo(detail.value);
    if (info.domain === errorDomain) return info.reason;
  }
  return undefined;
}

// google.rpc.ErrorInfo is not among our proto files; its two fields used here (1: reason, 2: domain) are read
// straight off the wire rather than adding googleapis to the generated code.
function decodeErrorInfo(bytes: Uint8Array): { reason?: string; domain?: string } {
  const reader = new BinaryReader(bytes);
  const info: { reason?: string; domain?: string } = {};
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) info.reason = reader.string();
    else if (field === 2) info.domain = reader.string();
    else reader.skip(wireType);
  }
  return info;
}
