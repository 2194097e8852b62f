using Cleanroom.Api.Tests.Support;

namespace Cleanroom.Api.Tests;

/// <summary>
/// An independent implementation (connect-es, from tests/api-node) calls the server over Connect and gRPC. It
/// catches what a .NET-only test cannot: both sides of every other test share our generated code.
/// </summary>
public sealed class NodeClientTests
{
    [Fact]
    public async Task Connect_es_client_passes_over_connect_and_grpc()
    {
        var project = FindNodeProject();
        if (!ChildProcess.OnPath("node"))
        {
            Console.WriteLine("SKIPPED node client test: node is not on PATH");
            return;
        }
        if (!Directory.Exists(Path.Combine(project, "node_modules")))
        {
            Console.WriteLine($"SKIPPED node client test: run `npm ci` in {project} first");
            return;
        }

        // Generate from the current .proto files every time, so the client can never lag the contract.
        var generate = await ChildProcess.RunAsync(Path.Combine(project, "node_modules", ".bin", "buf"), ["generate"], project);
        Assert.True(generate.Exit == 0, $"buf generate failed:\n{generate.Stdout}\n{generate.Stderr}");

        await using var server = await TestServer.StartAsync();
        var run = await ChildProcess.RunAsync("node", ["client.mjs", server.Socket.Path], project);

        Console.WriteLine(run.Stdout);
        Assert.True(run.Exit == 0, $"node client failed:\n{run.Stdout}\n{run.Stderr}");
        Assert.Contains("summary: 16 of 16 checks passed", run.Stdout);
    }

    private static string FindNodeProject()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "api-node");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new DirectoryNotFoundException("tests/api-node not found above " + AppContext.BaseDirectory);
    }
}
