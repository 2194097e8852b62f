using Cleanroom.Client;
using Cleanroom.Api.V1;
using Execution = Cleanroom.Api.V1.Execution;
using Sandbox = Cleanroom.Api.V1.Sandbox;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Client;

/// <summary>Resolves <c>--last</c>: the newest sandbox or execution the server knows.</summary>
internal static class LastRecords
{
    public static async Task<Sandbox> SandboxAsync(CleanroomClient client, CancellationToken cancellationToken)
    {
        var list = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: cancellationToken);
        return list.Sandboxes.MaxBy(s => s.CreatedAt?.ToDateTimeOffset())
            ?? throw new CleanroomException(ErrorCode.NotFound, "the server has no sandboxes yet");
    }

    public static async Task<Execution> ExecutionAsync(CleanroomClient client, string? sandboxId, CancellationToken cancellationToken)
    {
        var list = await client.Executions.ListExecutionsAsync(new ListExecutionsRequest { SandboxId = sandboxId ?? "" }, cancellationToken: cancellationToken);
        return list.Executions.MaxBy(e => e.StartedAt?.ToDateTimeOffset() ?? DateTimeOffset.MinValue)
            ?? throw new CleanroomException(ErrorCode.NotFound, "the server has no executions yet");
    }

    /// <summary>The id given on the command line, else the newest sandbox's when <c>--last</c> was given.</summary>
    public static async Task<string> SandboxIdAsync(CleanroomClient client, string? id, bool last, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(id))
        {
            return id;
        }

        if (last)
        {
            return (await SandboxAsync(client, cancellationToken)).SandboxId;
        }

        throw new CleanroomException(ErrorCode.InvalidArgument, "name a sandbox id or pass --last");
    }

    public static async Task<Execution> ExecutionByIdOrLastAsync(CleanroomClient client, string? id, bool last, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(id))
        {
            var response = await client.Executions.GetExecutionAsync(new GetExecutionRequest { ExecutionId = id }, cancellationToken: cancellationToken);
            return response.Execution;
        }

        if (last)
        {
            return await ExecutionAsync(client, null, cancellationToken);
        }

        throw new CleanroomException(ErrorCode.InvalidArgument, "name an execution id or pass --last");
    }
}
