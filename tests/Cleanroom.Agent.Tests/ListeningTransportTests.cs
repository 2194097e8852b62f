using System.Diagnostics;
using System.Net.Sockets;
using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Tests.Support;

namespace Cleanroom.Agent.Tests;

/// <summary>
/// <c>--listen</c>: the agent announces its socket with one line on stdout and serves host after host, which is what
/// lets a sandbox outlive its server. A host that goes away without a Shutdown stops only what it started.
/// </summary>
public sealed class ListeningTransportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cleanroom-agent-listen-").FullName;

    [Fact]
    public async Task A_second_host_is_served_after_the_first_went_away_and_only_the_first_hosts_command_was_stopped()
    {
        using var deadline = TestDeadline.Start();
        var path = Path.Combine(_dir, "agent.sock");
        var marker = Path.Combine(_dir, "background.pid");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { AgentPaths.ManagedAgentDll, "--listen", path })
            info.ArgumentList.Add(argument);
        using var agent = Process.Start(info)!;
        try
        {
            Assert.Equal(ProtocolConstants.ListeningReadyLine, await agent.StandardOutput.ReadLineAsync(deadline.Token));

            // The first host starts a background process and a command that runs on, then goes away without a word.
            var first = await ConnectAsync(path, deadline.Token);
            await CollectedOutput.RunAsync(first, new ExecutionRequest(["sh", "-c", $"sleep 600 > /dev/null 2>&1 & echo $! > {marker}"]), deadline.Token);
            var running = await first.StartAsync(new ExecutionRequest(["sleep", "600"]), deadline.Token);
            var runningPid = running.Pid;
            await first.DisposeAsync();

            var second = await ConnectAsync(path, deadline.Token);
            var result = await CollectedOutput.RunAsync(second, new ExecutionRequest(["sh", "-c", "echo second host"]), deadline.Token);
            Assert.Equal("second host\n", result.StdoutText);
            var background = int.Parse(await File.ReadAllTextAsync(marker, deadline.Token));
            Assert.False(Process.GetProcessById(background).HasExited, "a background process is the workload's, not the host's");
            Assert.True(ProcessGone(runningPid), "the first host's running command was stopped");
            Process.GetProcessById(background).Kill();

            await second.ShutdownAsync(TimeSpan.FromSeconds(5), deadline.Token);
            await agent.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, agent.ExitCode);
        }
        finally
        {
            if (!agent.HasExited)
                agent.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_suspend_closes_the_socket_and_the_connection_and_SIGUSR1_makes_the_agent_listen_again()
    {
        using var deadline = TestDeadline.Start();
        var path = Path.Combine(_dir, "agent.sock");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { AgentPaths.ManagedAgentDll, "--listen", path })
            info.ArgumentList.Add(argument);
        using var agent = Process.Start(info)!;
        try
        {
            Assert.Equal(ProtocolConstants.ListeningReadyLine, await agent.StandardOutput.ReadLineAsync(deadline.Token));
            var first = await ConnectAsync(path, deadline.Token);
            Assert.True(first.Agent.Supports(AgentCapabilities.Suspend));
            await CollectedOutput.RunAsync(first, new ExecutionRequest(["sh", "-c", $"echo before > {_dir}/note"]), deadline.Token);

            await first.SuspendAsync(deadline.Token);

            // The connection has ended, so the agent holds no socket: the listening one is gone with its file.
            Assert.True(first.Completion.IsCompleted);
            Assert.False(File.Exists(path), "the listening socket's file is removed");
            using var watcher = new FileSystemWatcher(_dir, "agent.sock") { NotifyFilter = NotifyFilters.FileName, EnableRaisingEvents = true };
            var back = new TaskCompletionSource();
            watcher.Renamed += (_, _) => back.TrySetResult();
            watcher.Created += (_, _) => back.TrySetResult();
            Assert.Equal(0, Kill(agent.Id, 10)); // SIGUSR1
            if (!File.Exists(path))
                await back.Task.WaitAsync(deadline.Token);

            var second = await ConnectAsync(path, deadline.Token);
            var result = await CollectedOutput.RunAsync(second, new ExecutionRequest(["cat", $"{_dir}/note"]), deadline.Token);
            Assert.Equal("before\n", result.StdoutText);
            Assert.False(agent.HasExited, "SIGUSR1 wakes the agent; it does not end it");
            await second.ShutdownAsync(TimeSpan.FromSeconds(5), deadline.Token);
            await agent.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, agent.ExitCode);
        }
        finally
        {
            if (!agent.HasExited)
                agent.Kill(entireProcessTree: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static async Task<AgentConnection> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        return await AgentConnection.ConnectAsync(new NetworkStream(socket, ownsSocket: true), null, cancellationToken);
    }

    private static bool ProcessGone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited || File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z";
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
