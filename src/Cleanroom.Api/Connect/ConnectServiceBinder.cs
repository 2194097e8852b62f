using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Cleanroom.Api.Observation;
using Microsoft.Extensions.DependencyInjection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Cleanroom.Api.Connect;

/// <summary>
/// Collects a service's methods for the Connect adapter by running the generated <c>BindService</c> against this
/// binder, the same way Grpc.AspNetCore discovers them. Each method calls the service base class's virtual method
/// through an open delegate, so whatever implementation DI resolves (the one gRPC also uses) runs. The annotation on
/// <typeparamref name="TService"/> keeps those public methods in a trimmed (NativeAOT) build, where they are looked up.
/// Each call is reported to the server's <see cref="IApiCallObserver"/>, as gRPC calls are by its interceptor.
/// </summary>
internal sealed class ConnectServiceBinder<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] TService>(ServiceDescriptor service)
    : ServiceBinderBase
    where TService : class
{
    public List<ConnectMethod> Methods { get; } = [];

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        var invoke = OpenDelegate<Func<TService, TRequest, ServerCallContext, Task<TResponse>>>(
            method.Name, typeof(TRequest), typeof(ServerCallContext));
        Methods.Add(new ConnectMethod(method.FullName, Describe(method.Name),
            Unary: async (http, request, context) =>
            {
                var implementation = http.RequestServices.GetRequiredService<TService>();
                var observer = http.RequestServices.GetService<IApiCallObserver>();
                try
                {
                    var response = (IMessage)await invoke(implementation, (TRequest)request, context).ConfigureAwait(false);
                    observer?.Completed(context, request, response, null);
                    return response;
                }
                catch (Exception failure)
                {
                    observer?.Completed(context, request, null, failure);
                    throw;
                }
            },
            ServerStreaming: null));
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
    {
        var invoke = OpenDelegate<Func<TService, TRequest, IServerStreamWriter<TResponse>, ServerCallContext, Task>>(
            method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
        Methods.Add(new ConnectMethod(method.FullName, Describe(method.Name),
            Unary: null,
            ServerStreaming: async (http, request, envelopes, context) =>
            {
                var implementation = http.RequestServices.GetRequiredService<TService>();
                var observer = http.RequestServices.GetService<IApiCallObserver>();
                var writer = new ConnectStreamWriter<TResponse>(envelopes, context.CancellationToken);
                try
                {
                    await invoke(implementation, (TRequest)request, writer, context).ConfigureAwait(false);
                    observer?.Completed(context, request, null, null);
                }
                catch (Exception failure)
                {
                    observer?.Completed(context, request, null, failure);
                    throw;
                }
            }));
    }

    // Client and bidirectional streaming need HTTP/2 end to end in Connect, which the adapter does not speak; gRPC
    // serves them on the same socket. A Connect client that calls one is told so, with the way that does work.
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        Methods.Add(new ConnectMethod(method.FullName, Describe(method.Name), null, null,
            Refusal: $"{method.FullName} streams from the client, which the Connect protocol over HTTP/1.1 cannot carry; call it over gRPC (HTTP/2) on the same address"));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        Methods.Add(new ConnectMethod(method.FullName, Describe(method.Name), null, null,
            Refusal: $"{method.FullName} streams both ways, which the Connect protocol over HTTP/1.1 cannot carry; call it over gRPC (HTTP/2) on the same address"
                + (method.Name == "AttachExecution" ? ", or use CreateExecution (with stdin_data) and StreamExecution" : "")));

    private MethodDescriptor Describe(string name) =>
        service.FindMethodByName(name) ?? throw new InvalidOperationException($"{service.FullName} has no method {name}");

    private static TDelegate OpenDelegate<TDelegate>(string name, params Type[] parameters) where TDelegate : Delegate
    {
        var method = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance, parameters)
            ?? throw new InvalidOperationException($"{typeof(TService)} has no method {name}");
        return method.CreateDelegate<TDelegate>();
    }
}
