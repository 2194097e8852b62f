using Cleanroom.Backends;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Server.Services;

/// <summary>
/// The control plane's request for an API CreateExecutionRequest. CreateExecution and AttachExecution's create both
/// build it here, so a command means the same whichever way it was started.
/// </summary>
internal static class ExecutionRequests
{
    /// <summary>Rows and columns above this are a client's mistake, not a screen (the agent's fields are 16 bits).</summary>
    private const uint MaxTerminalCells = 10_000;

    public static CreateExecutionRequest For(V1.CreateExecutionRequest request, SandboxControl control, bool liveStdin)
    {
        var sandboxId = SandboxApi.RequireId(request.SandboxId, "sandbox_id");
        var options = request.Options ?? new V1.ExecutionOptions();
        // With a terminal and no command the sandbox runs the image's command, else a shell (cleanroom console).
        if ((request.Command.Count == 0 && !options.Tty) || (request.Command.Count > 0 && request.Command[0].Length == 0))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "command must name a program to run");
        }

        return new CreateExecutionRequest(sandboxId, new ExecutionSpec
        {
            Argv = request.Command.ToList(),
            // A protobuf map has no order; sorting makes the order the workload sees stable.
            Env = options.Env.OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList(),
            // A repository-aware sandbox runs in its workspace unless told otherwise.
            Cwd = string.IsNullOrEmpty(options.Workdir) ? control.WorkspaceGuestPath(sandboxId) : options.Workdir,
            User = string.IsNullOrEmpty(options.User) ? null : options.User,
            Tty = options.Tty,
            TerminalSize = TerminalSizeOf(options.TerminalSize, "options.terminal_size") ?? TerminalSize.Default,
            // A terminal is for typing into, and a live session writes as it goes.
            Stdin = options.Stdin || options.Tty || liveStdin || !request.StdinData.IsEmpty,
            Timeout = options.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(options.TimeoutSeconds) : null,
        });
    }

    /// <summary>The terminal size a client sent; null when it sent none.</summary>
    public static TerminalSize? TerminalSizeOf(V1.TerminalSize? size, string field)
    {
        if (size is null)
        {
            return null;
        }

        if (size.Rows == 0 || size.Columns == 0 || size.Rows > MaxTerminalCells || size.Columns > MaxTerminalCells)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{field} must have 1 to {MaxTerminalCells} rows and columns, not {size.Rows}x{size.Columns}");
        }

        return new TerminalSize((ushort)size.Rows, (ushort)size.Columns);
    }
}
