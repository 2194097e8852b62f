using Cleanroom.Agent.Client;
using Cleanroom.Agent.Tests.Support;
using Xunit.Abstractions;

namespace Cleanroom.Agent.Tests;

/// <summary>
/// The NativeAOT agent started the way the host starts it in a sandbox: through a copy of the host's
/// dynamic loader with --library-path pointing at copies of the host's libraries.
/// </summary>
public sealed class NativeAotAgentTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cleanroom-agent-aot-").FullName;

    [NativeAotFact]
    public async Task Published_agent_runs_through_the_loader_with_copied_libraries()
    {
        using var deadline = TestDeadline.Start(1500); // the first publish compiles the whole agent natively
        var binary = await NativeAgent.EnsurePublishedAsync(deadline.Token);
        var libraries = await NativeAgent.RequiredLibrariesAsync(binary, deadline.Token);
        output.WriteLine($"{binary} needs: {string.Join(", ", libraries)}");
        var (loader, lib, agent) = await NativeAgent.StageAsync(binary, _root, deadline.Token);

        await using var process = await AgentProcess.StartAsync(loader, ["--library-path", lib, agent, "--stdio"]);
        var echo = await CollectedOutput.RunAsync(process.Connection, new ExecutionRequest(["sh", "-c", "echo native; exit 3"]), deadline.Token);
        var missing = await CollectedOutput.RunAsync(process.Connection, new ExecutionRequest(["no-such-command-aot"]), deadline.Token);

        Assert.Equal("native\n", echo.StdoutText);
        Assert.Equal(3, echo.Status.ExitCode);
        Assert.Equal(127, missing.Status.ExitCode); // the exec helper, re-executed through the loader, reported it
        Assert.All(libraries, path => Assert.Contains(Path.GetFileName(path), new[] { "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6" }));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
