using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// One RPC as the Connect adapter serves it: its path, its protobuf descriptor (for parsing), and how to call the
/// service implementation. Exactly one of <see cref="Unary"/>, <see cref="ServerStreaming"/> and <see cref="Refusal"/>
/// is set: a refusal is a method that streams from the client, which the adapter answers with <c>unimplemented</c>
/// and this text (what to use instead) rather than a bare 404.
/// </summary>
internal sealed record ConnectMethod(
    string Path,
    MethodDescriptor Descriptor,
    Func<HttpContext, IMessage, ServerCallContext, Task<IMessage>>? Unary,
    Func<HttpContext, IMessage, ConnectEnvelopeWriter, ServerCallContext, Task>? ServerStreaming,
    string? Refusal = null);
