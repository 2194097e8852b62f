using Cleanroom.Api.Authentication;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Observation;

/// <summary>Several observers as the one <see cref="Hosting.ApiHostOptions"/> takes (the audit log and the RPC spans' tags), told in order.</summary>
public sealed class CallObservers(params IApiCallObserver[] observers) : IApiCallObserver
{
    public void Completed(ServerCallContext context, IMessage? request, IMessage? response, Exception? failure)
    {
        foreach (var observer in observers) observer.Completed(context, request, response, failure);
    }

    public void Refused(HttpContext http, Caller? caller, string code)
    {
        foreach (var observer in observers) observer.Refused(http, caller, code);
    }
}
