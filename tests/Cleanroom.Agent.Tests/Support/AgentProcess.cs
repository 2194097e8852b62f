using System.Diagnostics;
using System.Text;
using Cleanroom.Agent.Client;

namespace Cleanroom.Agent.Tests.Support;

/// <summary>
/// A real agent process on this host with an <see cref="AgentConnection"/> over its stdin/stdout.
/// Its stderr is kept for failure messages. Disposing kills it (and, through the agent's own
/// shutdown on end of stream, the commands it started) and waits for it.
/// </summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private AgentProcess(Process process, AgentConnection connection)
    {
        _process = process;
        Connection = connection;
    }

    public AgentConnection Connection { get; private set; }

    public int ProcessId => _process.Id;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The agent as the build left it: `dotnet cleanroom-agent.dll --stdio`.</summary>
    public static Task<AgentProcess> StartManagedAsync(AgentConnectionOptions? options = null) =>
        StartAsync("dotnet", [AgentPaths.ManagedAgentDll, "--stdio"], options);

    public static async Task<AgentProcess> StartAsync(string fileName, IEnumerable<string> arguments, AgentConnectionOptions? options = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var connection = await AgentConnection.ConnectAsync(process.StandardOutput.BaseStream, process.StandardInput.BaseStream,
                options, timeout.Token);
            var agent = new AgentProcess(process, connection);
            lock (stderr) agent._stderr.Append(stderr);
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (agent._stderr) agent._stderr.AppendLine(e.Data); };
            return agent;
        }
        catch (Exception e)
        {
            Kill(process);
            throw new InvalidOperationException($"the agent did not complete the handshake: {e.Message}\nstderr:\n{stderr}", e);
        }
    }

    /// <summary>Waits for the agent process to end by itself.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public void KillAgent() => Kill(_process);

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        try
        {
            // End of stream makes the agent kill its commands and exit; kill it only if it does not.
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(_process);
        }
        _process.Dispose();
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
