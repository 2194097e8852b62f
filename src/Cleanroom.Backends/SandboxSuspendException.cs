using Cleanroom.Errors;

namespace Cleanroom.Backends;

/// <summary>
/// <c>suspend_failed</c>: the sandbox was not suspended. <see cref="Running"/> is its handle when it still runs (the
/// backend woke it again after a failed checkpoint), null when it could not be brought back.
/// </summary>
public sealed class SandboxSuspendException(string message, IProvisionedSandbox? running, Exception? inner = null)
    : CleanroomException(ErrorCode.SuspendFailed, message, inner)
{
    public IProvisionedSandbox? Running { get; } = running;
}
