using System.Diagnostics.CodeAnalysis;
using Cleanroom.Api.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Cleanroom.Api.Connect;

/// <summary>The Connect methods of Cleanroom's services, by request path ("/cleanroom.v1.SandboxService/ListSandboxes").</summary>
internal sealed class ConnectMethodRegistry
{
    private readonly Dictionary<string, ConnectMethod> _byPath = new(StringComparer.Ordinal);

    public ConnectMethodRegistry()
    {
        Add<SandboxService.SandboxServiceBase>(SandboxService.Descriptor, binder => SandboxService.BindService(binder, null!));
        Add<ExecutionService.ExecutionServiceBase>(ExecutionService.Descriptor, binder => ExecutionService.BindService(binder, null!));
        // Its client-streaming upload is gRPC only; the binder leaves it out.
        Add<WorkspaceService.WorkspaceServiceBase>(WorkspaceService.Descriptor, binder => WorkspaceService.BindService(binder, null!));
        Add<IdentityService.IdentityServiceBase>(IdentityService.Descriptor, binder => IdentityService.BindService(binder, null!));
        // ForwardPort streams both ways: the binder answers it with a refusal naming gRPC.
        Add<PortService.PortServiceBase>(PortService.Descriptor, binder => PortService.BindService(binder, null!));
        Add<SystemService.SystemServiceBase>(SystemService.Descriptor, binder => SystemService.BindService(binder, null!));
    }

    public IEnumerable<ConnectMethod> Methods => _byPath.Values;

    public bool TryGet(string path, out ConnectMethod method) => _byPath.TryGetValue(path, out method!);

    private void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] TService>(ServiceDescriptor service, Action<ServiceBinderBase> bind) where TService : class
    {
        var binder = new ConnectServiceBinder<TService>(service);
        bind(binder);
        foreach (var method in binder.Methods) _byPath.Add(method.Path, method);
    }
}
