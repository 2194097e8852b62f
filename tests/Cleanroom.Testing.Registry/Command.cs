using Cleanroom.Backends.Gvisor;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Testing.Registry;

/// <summary>Runs a tool to completion through the project's process runner, with a deadline; a failure carries its argv and stderr.</summary>
public static class Command
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var result = await new ProcessRunner(NullLogger.Instance).RunAsync([file, .. arguments], timeout ?? TimeSpan.FromMinutes(2), CancellationToken.None);
        return result.EnsureSuccess().Stdout;
    }
}
