using Cleanroom.Client;
using Cleanroom.Api.Errors;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Cli.Client;

/// <summary>
/// Runs one client verb against the server: connects (from <c>--host</c>, <c>CLEANROOM_HOST</c> or the default
/// socket) and turns every failure into one line with the stable code and what to do next.
/// </summary>
internal static class ApiSession
{
    public static async Task<int> RunAsync(CliConsole console, string? host, Func<CleanroomClient, Task<int>> action)
    {
        try
        {
            using var client = new CleanroomClient(console.Connection.ClientOptions(host, console.GetEnvironment));
            return await action(client);
        }
        catch (ServerNotRunningException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Message}");
            return ExitCode.Failure;
        }
        catch (CleanroomException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
            if (NextStep(e.Code) is { } hint)
            {
                console.Error.WriteLine($"  next: {hint}");
            }

            return e.Code == ErrorCode.InvalidArgument ? ExitCode.Usage : ExitCode.Failure;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            console.Error.WriteLine("cleanroom: canceled");
            return ExitCode.Failure;
        }
    }

    /// <summary>What a user can do about each stable code.</summary>
    internal static string? NextStep(string code) => code switch
    {
        ErrorCode.PolicyInvalid or ErrorCode.PolicyConflict => "run 'cleanroom policy validate' to see every problem with its line",
        ErrorCode.PolicyNotFound => "create a policy with 'cleanroom init', or pass --chdir to the repository",
        ErrorCode.BackendUnavailable => "run 'cleanroom doctor' to see which backends work on this host",
        ErrorCode.BackendCapabilityMismatch => "pick a backend that supports the policy (--backend), see 'cleanroom doctor --json'",
        ErrorCode.DependencyFailed or ErrorCode.ServiceFailed => "fix the block's command in cleanroom.yaml (its last output is above); 'cleanroom policy validate' checks the file",
        ErrorCode.DockerUnavailable => "use an image with dockerd, the docker CLI, containerd, runc and iptables (e.g. cleanroom.local/debian-docker, built by scripts/setup.sh); the end of dockerd's log, if it ran, is above",
        ErrorCode.RunBeforeFailed => "fix sandbox.run.before in cleanroom.yaml: it runs before every command, and its output is above",
        ErrorCode.RepositoryCheckoutFailed => "check --repo-url, --repo-commit and --repo-ref against the repository; the server's log says what its fetch answered",
        ErrorCode.HostNotAllowed => "add the host:port to sandbox.network.allow in cleanroom.yaml if the sandbox should reach it",
        ErrorCode.AdminRequired => "ask an operator listed in the server's auth.admins, or run it as one",
        ErrorCode.SystemdUnavailable => "install the service with 'cleanroom serve install' on a host where systemd runs, or read the log of a server you started by hand on its stderr",
        ErrorCode.AccessDenied => "the server's auth.policy decides this; 'cleanroom auth check' shows what it allows you",
        ErrorCode.Unauthenticated => "pass a token with --token-file or CLEANROOM_TOKEN (over https, a client certificate with --tls-cert and --tls-key); 'cleanroom auth check' shows who the server takes you for",
        ErrorCode.NotFound => "list what exists with 'cleanroom sandbox ls'",
        ErrorCode.RuntimeLaunchFailed => "run 'cleanroom doctor', then check the server's log",
        ErrorCode.ImageNotFound => "check the image reference (name, tag and digest) against the registry",
        ErrorCode.PlatformNotFound => "pick an image built for this host's platform, or pass --platform to 'cleanroom image pull'",
        ErrorCode.RegistryUnreachable => "check that the registry is up; a plain-HTTP registry must be listed in images.insecure_registries of the server's runtime config",
        ErrorCode.RegistryAuthFailed => "put credentials for the registry in images.credentials of the runtime config, or in ~/.docker/config.json",
        ErrorCode.DigestMismatch => "the registry served bytes that are not the pinned image; nothing was kept — check the registry or the digest",
        ErrorCode.PortInUse => "pick another host port, or 0 to let the server choose one",
        ErrorCode.RouteInUse => "pick another route name; 'cleanroom sandbox ls' shows the sandboxes that hold routes",
        ErrorCode.ConnectionRefused => "start the program that listens on that port in the sandbox first",
        ErrorCode.GatewayUnavailable => "the host gateway could not listen on the sandbox's link; see the server log, or choose a free gateway.listen_port in the runtime config",
        ErrorCode.SecretUnavailable => "add the secret's id to secrets: in the server's runtime config (env or file), or remove the binding from the policy; 'cleanroom doctor' shows which secrets load",
        ErrorCode.DiskLimitUnavailable => "free space where the server keeps sandboxes, or lower resources.disk (policy) or backends.gvisor.default_disk_mib (runtime config); 'cleanroom doctor' shows whether the gvisor backend can make sandbox disks here",
        ErrorCode.SuspendFailed => "wait for the sandbox's commands to end (or cancel them); a gVisor sandbox needs backends.gvisor.network_stack: sandbox in the server's runtime config when it was created",
        ErrorCode.SnapshotCorrupt => "the snapshot cannot be restored; remove it and take a new one from a running sandbox",
        ErrorCode.SnapshotPolicyMismatch => "start from a snapshot taken under this same policy, or create the sandbox without --from",
        ErrorCode.WakeFailed => "the sandbox is FAILED; its checkpoint stays under the server's sandbox directory for inspection ('cleanroom sandbox inspect' shows the reason); create a new sandbox",
        _ => null,
    };
}
