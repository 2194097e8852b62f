using Cleanroom.Backends.Conformance;

namespace Cleanroom.Backends.Qemu.Tests.Support;

/// <summary>Shorthands for running a shell line in a sandbox and reading its output.</summary>
public static class GuestRun
{
    public static async Task<string> StdoutAsync(IProvisionedSandbox sandbox, string shellLine)
    {
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", shellLine);
        Assert.True(result.Exit.ExitCode == 0, $"'{shellLine}' exited with {result.Exit.ExitCode}: {result.Stderr}");
        return result.Stdout;
    }
}
