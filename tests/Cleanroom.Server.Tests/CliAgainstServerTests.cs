using System.Text.Json;
using Cleanroom.Backends;
using Cleanroom.TestDoubles;

namespace Cleanroom.Server.Tests;

/// <summary>The client verbs end to end: CLI → real socket → real server → control plane → (double) backend.</summary>
public sealed class CliAgainstServerTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;

    public async Task InitializeAsync() => _server = await ServerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Exec_streams_stdout_and_stderr_apart_and_exits_with_the_workload_code()
    {
        var run = await _server.RunCliAsync("exec", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("to-out", run.Out);
        Assert.DoesNotContain("to-err", run.Out);
        Assert.Contains("to-err", run.Error);
    }

    [Fact]
    public async Task Exec_with_rm_leaves_the_sandbox_stopped()
    {
        var run = await _server.RunCliAsync("exec", "--rm", "--", "true");
        Assert.Equal(0, run.ExitCode);

        var list = await _server.RunCliAsync("sandbox", "ls", "--all", "--json");
        using var doc = JsonDocument.Parse(list.Out);
        var sandbox = Assert.Single(doc.RootElement.GetProperty("sandboxes").EnumerateArray());
        Assert.Equal("SANDBOX_STATUS_STOPPED", sandbox.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Lists_show_live_sandboxes_and_their_executions_and_all_of_them_with_all()
    {
        var ended = await _server.RunCliAsync("exec", "--rm", "--print-sandbox-id", "--", "sh", "-c", "echo first");
        var endedId = ended.Error.Split(' ', '\n').First(w => w.StartsWith("sb-", StringComparison.Ordinal));
        var liveId = (await _server.RunCliAsync("create")).Out.Trim();
        await _server.RunCliAsync("exec", "--in", liveId, "--", "sh", "-c", "echo second");

        var sandboxes = await _server.RunCliAsync("sandbox", "ls");
        var allSandboxes = await _server.RunCliAsync("sandbox", "ls", "--all");
        var executions = await _server.RunCliAsync("execution", "ls");
        var allExecutions = await _server.RunCliAsync("execution", "ls", "--all");
        var inEnded = await _server.RunCliAsync("execution", "ls", "--in", endedId);

        Assert.Contains(liveId, sandboxes.Out);
        Assert.DoesNotContain(endedId, sandboxes.Out);
        Assert.Contains(liveId, allSandboxes.Out);
        Assert.Contains(endedId, allSandboxes.Out);
        Assert.Contains("sh -c echo second", executions.Out);
        Assert.DoesNotContain("echo first", executions.Out);
        Assert.Contains("echo first", allExecutions.Out);
        Assert.Contains("echo second", allExecutions.Out);
        Assert.Contains("echo first", inEnded.Out);
        Assert.DoesNotContain("echo second", inEnded.Out);
    }

    [Fact]
    public async Task Create_then_exec_in_reuses_the_sandbox_and_last_finds_the_execution()
    {
        var create = await _server.RunCliAsync("create");
        Assert.Equal(0, create.ExitCode);
        var sandboxId = create.Out.Trim();
        Assert.StartsWith("sb-", sandboxId);

        var run = await _server.RunCliAsync("exec", "--in", sandboxId, "--", "sh", "-c", "echo again; exit 7");
        Assert.Equal(7, run.ExitCode);

        var inspect = await _server.RunCliAsync("execution", "inspect", "--last", "--json");
        using var doc = JsonDocument.Parse(inspect.Out);
        Assert.Equal(sandboxId, doc.RootElement.GetProperty("sandbox_id").GetString());
        Assert.Equal(7, doc.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal("EXECUTION_STATUS_FAILED", doc.RootElement.GetProperty("status").GetString());

        var logs = await _server.RunCliAsync("execution", "logs", "--last");
        Assert.Equal("again\n", logs.Out);

        var sandboxes = await _server.RunCliAsync("sandbox", "ls");
        Assert.Contains(sandboxId, sandboxes.Out);
        Assert.Contains("READY", sandboxes.Out);

        // Upstream's spelling of status --last.
        var lastRun = await _server.RunCliAsync("status", "--last-run");
        Assert.True(lastRun.ExitCode == 0, lastRun.Error);
        Assert.Contains(sandboxId, lastRun.Out);
    }

    [Fact]
    public async Task Env_flags_set_values_and_cwd_is_applied()
    {
        var workdir = Directory.CreateTempSubdirectory("cleanroom-cwd-").FullName;
        try
        {
            var run = await _server.RunCliAsync("exec", "-e", "GREETING=hello there", "-e", "HOME", "--cwd", workdir, "--", "sh", "-c", "echo \"$GREETING|$HOME|$(pwd)\"");

            Assert.Equal(0, run.ExitCode);
            Assert.Equal($"hello there|{_server.Root}|{workdir}\n", run.Out);
        }
        finally
        {
            Directory.Delete(workdir, recursive: true);
        }
    }

    [Fact]
    public async Task Timeout_stops_the_command_and_exits_124()
    {
        var run = await _server.RunCliAsync("exec", "--timeout", "1", "--", "sleep", "30");

        Assert.Equal(124, run.ExitCode);
        var inspect = await _server.RunCliAsync("execution", "inspect", "--last", "--json");
        Assert.Contains("EXECUTION_STATUS_TIMED_OUT", inspect.Out);
    }

    [Fact]
    public async Task An_invalid_policy_fails_before_anything_is_created_with_its_code_and_line()
    {
        await File.WriteAllTextAsync(Path.Combine(_server.Repository, "cleanroom.yaml"), "version: 1\nsandbox:\n  image:\n    ref: busybox:latest\n");

        var run = await _server.RunCliAsync("exec", "--", "true");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("policy_invalid", run.Error);
        Assert.Contains("cleanroom.yaml:4:", run.Error);
        Assert.Contains("next: run 'cleanroom policy validate'", run.Error);
        Assert.Empty(await _server.Server.Control.ListSandboxesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Sandbox_events_and_status_report_what_happened()
    {
        var create = await _server.RunCliAsync("create");
        await _server.RunCliAsync("exec", "--in", create.Out.Trim(), "--", "true");

        var events = await _server.RunCliAsync("sandbox", "events", "--last");
        Assert.Equal(0, events.ExitCode);
        Assert.Contains("sandbox READY", events.Out);
        Assert.Contains("SUCCEEDED", events.Out);

        var status = await _server.RunCliAsync("status", "--json");
        using var doc = JsonDocument.Parse(status.Out);
        Assert.Equal(1, doc.RootElement.GetProperty("sandboxes").GetProperty("READY").GetInt32());
    }

    [Fact]
    public async Task Without_a_server_a_client_verb_prints_one_line_saying_how_to_start_one()
    {
        var env = new Dictionary<string, string> { ["CLEANROOM_HOST"] = "unix://" + Path.Combine(_server.Root, "nobody.sock") };
        var error = new StringWriter();
        var console = new Cleanroom.Cli.CliConsole(TextWriter.Null, error, name => env.GetValueOrDefault(name), _server.Repository);

        var code = await Cleanroom.Cli.CliApplication.RunAsync(["sandbox", "ls"], console);

        Assert.Equal(1, code);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cleanroom serve", line);
    }
}

public sealed class CapabilityMismatchTests
{
    [Fact]
    public async Task A_policy_needing_egress_on_a_backend_without_it_fails_closed()
    {
        var noEgress = BackendCapabilities.None
            .With(CapabilityNames.NetworkDefaultDeny, true)
            .With(CapabilityNames.PersistentSandboxes, true);
        var policy = $"version: 1\nsandbox:\n  image:\n    ref: busybox@{ServerUnderTest.Digest}\n  network:\n    allow: [\"example.test:443\"]\n";
        await using var server = await ServerUnderTest.StartAsync(noEgress, policy);

        var run = await server.RunCliAsync("exec", "--", "true");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("backend_capability_mismatch", run.Error);
        var sandbox = Assert.Single(await server.Server.Control.ListSandboxesAsync(CancellationToken.None));
        Assert.Equal(Cleanroom.ControlPlane.SandboxStatus.Failed, sandbox.Status);
    }
}
