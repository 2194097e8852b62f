using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using static Cleanroom.ControlPlane.Tests.ControlPlaneHarness;

namespace Cleanroom.ControlPlane.Tests;

public class PersistenceTests
{
    [Fact]
    public async Task Records_events_and_output_survive_closing_and_reopening_the_state_directory()
    {
        var backend = new ScriptedBackend();
        await using var h = await StartAsync(backend);
        var request = SandboxRequest() with
        {
            Resources = new SandboxResources(2, 1L << 30, 10L << 30),
            RuntimeConfig = System.Text.Json.JsonDocument.Parse("""{"platform":"systrap"}""").RootElement,
        };
        var sandbox = await h.Control.CreateSandboxAsync(request, CancellationToken.None);
        var spec = new ExecutionSpec
        {
            Argv = ["npm", "test"],
            Env = [new("PATH", "/usr/bin"), new("CI", "1")],
            Cwd = "/workspace",
            User = "1000",
            Timeout = TimeSpan.FromMinutes(5),
        };
        var execution = await h.Control.CreateExecutionAsync(new CreateExecutionRequest(sandbox.Id, spec), CancellationToken.None);
        var process = await backend.Sandboxes[sandbox.Id].NextExecutionAsync();
        await process.WriteAsync(OutputStream.Stdout, "tests passed\n");
        process.Exit(ExitStatus.Exited(0));
        var finished = await h.Control.WaitForExecutionAsync(execution.Id, CancellationToken.None);
        var stopped = await h.Control.TerminateSandboxAsync(sandbox.Id, CancellationToken.None);
        var eventsBefore = await EventStreamTests.Collect(h.Control.StreamSandboxEventsAsync(sandbox.Id, 0, CancellationToken.None));

        await h.RestartAsync();

        var sandboxAfter = await h.Control.GetSandboxAsync(sandbox.Id, CancellationToken.None);
        Assert.Equal(stopped with { Labels = sandboxAfter.Labels, RuntimeConfig = sandboxAfter.RuntimeConfig }, sandboxAfter);
        Assert.Equal("example", sandboxAfter.Labels["repo"]);
        Assert.Equal("systrap", sandboxAfter.RuntimeConfig!.Value.GetProperty("platform").GetString());
        Assert.Equal(new SandboxResources(2, 1L << 30, 10L << 30), sandboxAfter.Resources);

        var executionAfter = await h.Control.GetExecutionAsync(execution.Id, CancellationToken.None);
        Assert.Equal(finished with { Spec = executionAfter.Spec }, executionAfter);
        Assert.Equal(spec.Argv, executionAfter.Spec.Argv);
        Assert.Equal(spec.Env, executionAfter.Spec.Env);
        Assert.Equal((spec.Cwd, spec.User, spec.Timeout), (executionAfter.Spec.Cwd, executionAfter.Spec.User, executionAfter.Spec.Timeout));

        var items = await CollectAsync(h.Control.StreamExecutionAsync(execution.Id, CancellationToken.None));
        Assert.Equal(["stdout:tests passed\n", "exit:SUCCEEDED:0"], OutputStreamingTests.Describe(items));

        var eventsAfter = await EventStreamTests.Collect(h.Control.StreamSandboxEventsAsync(sandbox.Id, 0, CancellationToken.None));
        Assert.Equal(eventsBefore, eventsAfter);
        Assert.Single(await h.Control.ListExecutionsAsync(sandbox.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Database_uses_wal_and_a_versioned_schema()
    {
        await using var h = await StartAsync(new ScriptedBackend());
        await h.Control.DisposeAsync();

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(h.StateDirectory, "cleanroom.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version;";
        // 1: sandboxes, executions, events; 2: workspaces; 3: sandboxes.owner; 4: executions' start-up milestones
        Assert.Equal(4L, command.ExecuteScalar());
    }
}
