using Cleanroom.Client;
using Cleanroom.Api.V1;
using Sandbox = Cleanroom.Api.V1.Sandbox;
using Cleanroom.Errors;
using Grpc.Core;

namespace Cleanroom.Cli.Client;

/// <summary>
/// Creates a sandbox without blocking on its provisioning, then follows its events until it is READY: what the
/// server reports meanwhile (an image pull's progress, the setup stages' blocks) is shown on stderr as it happens, and a sandbox that ends
/// FAILED becomes an error with the failure's stable code.
/// </summary>
internal static class SandboxReadiness
{
    /// <summary>Creates the sandbox; the server answers while it is still PROVISIONING.</summary>
    public static async Task<Sandbox> StartAsync(CleanroomClient client, CreateSandboxRequest request, CancellationToken cancellationToken)
    {
        request.ReturnWhileProvisioning = true;
        return (await client.Sandboxes.CreateSandboxAsync(request, cancellationToken: cancellationToken)).Sandbox;
    }

    /// <summary>Shows the sandbox's provisioning events until it is READY; throws with the code when it is not.</summary>
    public static async Task<Sandbox> WaitUntilReadyAsync(CliConsole console, CleanroomClient client, Sandbox started, CancellationToken cancellationToken)
    {
        if (started.Status == SandboxStatus.Ready)
        {
            return started;
        }

        var sandboxId = started.SandboxId;
        using (var events = client.Sandboxes.StreamSandboxEvents(
                   new StreamSandboxEventsRequest { SandboxId = sandboxId, Follow = true }, cancellationToken: cancellationToken))
        {
            await foreach (var item in events.ResponseStream.ReadAllAsync(cancellationToken))
            {
                if (item.Type is "image.pull" or "sandbox.stage")
                {
                    console.Error.WriteLine($"cleanroom: {item.Message}");
                }
                else if (item.Type == "sandbox.status" && item.Status is not SandboxStatus.Provisioning)
                {
                    break;
                }
            }
        }

        // The record says how provisioning ended, whichever event ended the stream.
        var sandbox = (await client.Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = sandboxId }, cancellationToken: cancellationToken)).Sandbox;
        return sandbox.Status switch
        {
            SandboxStatus.Ready => sandbox,
            SandboxStatus.Failed => throw new CleanroomException(
                string.IsNullOrEmpty(sandbox.Error?.Code) ? ErrorCode.RuntimeLaunchFailed : sandbox.Error.Code,
                $"sandbox {sandboxId} failed: {(string.IsNullOrEmpty(sandbox.Error?.Message) ? "provisioning failed" : sandbox.Error.Message)}"),
            _ => throw new CleanroomException(ErrorCode.InvalidArgument,
                $"sandbox {sandboxId} is {sandbox.Status}; it was terminated before it became ready"),
        };
    }
}
