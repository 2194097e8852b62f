using Cleanroom.Api.Authentication;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Observation;

/// <summary>
/// Told about every API call once it ends, in gRPC and Connect alike, and about every call the gate refused, so the
/// server can keep an audit trail in one place. <c>request</c> is the call's (first) request message and
/// <c>response</c> its response (null for streams and failures); <c>failure</c> is what the handler threw, before
/// it became a wire error. Implementations must not throw and must be quick: they run on the call's path.
/// </summary>
public interface IApiCallObserver
{
    void Completed(ServerCallContext context, IMessage? request, IMessage? response, Exception? failure);

    void Refused(HttpContext http, Caller? caller, string code);
}
