using System.Diagnostics;
using Cleanroom.Api.Addressing;
using Cleanroom.Client;
using Cleanroom.Api.V1;

namespace Cleanroom.Server.Tests;

/// <summary>
/// A server killed with SIGKILL mid-execution loses nothing it had recorded: after a restart every sandbox and
/// execution is still there, and the interrupted execution is FAILED with the reason.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cleanroom-restart-test-").FullName;
    private readonly string _marker = $"cleanroom-restart-{Guid.NewGuid():N}";
    private Process? _server;

    private string SocketPath => Path.Combine(_root, "run", "cleanroom.sock");

    [Fact]
    public async Task Kill_9_during_an_execution_keeps_every_record_and_fails_the_interrupted_execution()
    {
        _server = await StartServerAsync();
        string sandboxId, runningId, finishedId;
        using (var client = new CleanroomClient(new UnixApiAddress(SocketPath)))
        {
            var policy = Cleanroom.Policy.PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: busybox@{ServerUnderTest.Digest}\n", "test").Policy!;
            sandboxId = (await client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson })).Sandbox.SandboxId;
            finishedId = await RunToEndAsync(client, sandboxId, "sh", "-c", "echo done");
            runningId = await StartAndWaitForOutputAsync(client, sandboxId, "sh", "-c", "echo started; while :; do sleep 1; done", _marker);
        }

        _server.Kill();
        await _server.WaitForExitAsync();
        _server.Dispose();
        _server = await StartServerAsync();

        using var after = new CleanroomClient(new UnixApiAddress(SocketPath));
        var interrupted = (await after.Executions.GetExecutionAsync(new GetExecutionRequest { ExecutionId = runningId })).Execution;
        Assert.Equal(ExecutionStatus.Failed, interrupted.Status);
        Assert.Contains("interrupted: the server stopped", interrupted.Error.Message);

        var finished = (await after.Executions.GetExecutionAsync(new GetExecutionRequest { ExecutionId = finishedId })).Execution;
        Assert.Equal(ExecutionStatus.Succeeded, finished.Status);

        var sandbox = Assert.Single((await after.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest())).Sandboxes);
        Assert.Equal(sandboxId, sandbox.SandboxId);
        Assert.Equal(SandboxStatus.Failed, sandbox.Status); // the double cannot re-adopt, so the record says it was lost

        // Output retained before the kill is still there to replay.
        using var replay = after.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = runningId, Follow = true });
        var text = "";
        while (await replay.ResponseStream.MoveNext(CancellationToken.None))
        {
            text += replay.ResponseStream.Current.Stdout.ToStringUtf8();
        }

        Assert.Equal("started\n", text);
    }

    private async Task<Process> StartServerAsync()
    {
        var host = Path.Combine(AppContext.BaseDirectory.Replace("Cleanroom.Server.Tests", "Cleanroom.Server.TestHost"), "Cleanroom.Server.TestHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { host, Path.Combine(_root, "state"), SocketPath })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(deadline.Token);
        Assert.Equal("ready", line);
        return process;
    }

    private static async Task<string> RunToEndAsync(CleanroomClient client, string sandboxId, params string[] command)
    {
        var request = new CreateExecutionRequest { SandboxId = sandboxId };
        request.Command.AddRange(command);
        var id = (await client.Executions.CreateExecutionAsync(request)).Execution.ExecutionId;
        using var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = id, Follow = true });
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
        }

        return id;
    }

    private static async Task<string> StartAndWaitForOutputAsync(CleanroomClient client, string sandboxId, params string[] command)
    {
        var request = new CreateExecutionRequest { SandboxId = sandboxId };
        request.Command.AddRange(command);
        var id = (await client.Executions.CreateExecutionAsync(request)).Execution.ExecutionId;
        using var stream = client.Executions.StreamExecution(new StreamExecutionRequest { ExecutionId = id, Follow = true });
        while (await stream.ResponseStream.MoveNext(CancellationToken.None) && stream.ResponseStream.Current.Stdout.IsEmpty)
        {
        }

        return id;
    }

    public void Dispose()
    {
        if (_server is not null)
        {
            _server.Kill();
            _server.WaitForExit();
            _server.Dispose();
        }

        // The killed server's workload is orphaned (the double has no sandbox to end it): end it by its marker.
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(_marker))
                {
                    Process.GetProcessById(int.Parse(Path.GetFileName(dir))).Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // The process ended on its own in the meantime.
            }
        }

        Directory.Delete(_root, recursive: true);
    }
}
