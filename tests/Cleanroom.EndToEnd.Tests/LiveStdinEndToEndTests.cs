using System.Diagnostics;
using System.Security.Cryptography;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Live stdin through the real CLI and server: 1 GiB piped through <c>cat</c> in the sandbox arrives intact, and the
/// server's memory stays bounded when the workload never reads its stdin or the client never reads its output.
/// </summary>
public sealed class LiveStdinEndToEndTests(SharedServer shared) : SharedServerTests(shared.Server), IClassFixture<SharedServer>
{
    private const long OneGiB = 1L << 30;

    /// <summary>What the server may grow by while a gigabyte is held back: buffers, not the data.</summary>
    private const long BoundedGrowth = 128L << 20;

    private readonly RealServer _server = shared.Server;

    private static string Basic => Path.Combine(Product.RepositoryRoot, "examples", "basic");

    [Fact]
    public async Task A_line_protocol_over_stdio_answers_each_request_before_the_next_and_sees_end_of_input()
    {
        // An agent's stdio loop (JSON-RPC, an MCP server): one answer per request line, and a last word at EOF. The
        // answer's id is the request line's digits ("2.0" and the id), so each answer belongs to its request.
        using var exec = StartCli("exec", "--rm", "--chdir", Basic, "--", "bash", "-c",
            "while IFS= read -r line; do printf '{\"id\":%s,\"result\":\"pong\"}\\n' \"${line//[^0-9]/}\"; done; echo eof");
        for (var id = 1; id <= 100; id++)
        {
            await exec.StandardInput.WriteLineAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}");
            await exec.StandardInput.FlushAsync();
            Assert.Equal($"{{\"id\":20{id},\"result\":\"pong\"}}", await exec.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }
        exec.StandardInput.Close();

        Assert.Equal("eof", await exec.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        await exec.WaitForExitAsync();
        Assert.Equal(0, exec.ExitCode);
    }

    [Fact]
    public async Task A_gigabyte_piped_through_cat_arrives_intact()
    {
        using var exec = StartCli("exec", "--rm", "--chdir", Basic, "--", "cat");
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            long total = 0;
            int read;
            while ((read = await exec.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
            {
                received.AppendData(buffer, 0, read);
                total += read;
            }
            return total;
        });

        var chunk = new byte[1 << 20];
        var random = new Random(15);
        for (long written = 0; written < OneGiB; written += chunk.Length)
        {
            random.NextBytes(chunk);
            sent.AppendData(chunk);
            await exec.StandardInput.BaseStream.WriteAsync(chunk);
        }
        exec.StandardInput.Close();

        Assert.Equal(OneGiB, await reading.WaitAsync(TimeSpan.FromMinutes(5)));
        await exec.WaitForExitAsync();
        Assert.Equal(0, exec.ExitCode);
        Assert.Equal(Convert.ToHexString(sent.GetHashAndReset()), Convert.ToHexString(received.GetHashAndReset()));
    }

    [Fact]
    public async Task A_workload_that_never_reads_holds_the_client_back_without_the_server_buffering()
    {
        var before = ServerRss();
        using var exec = StartCli("exec", "--rm", "--chdir", Basic, "--", "sh", "-c", "echo ready; exec sleep 600");
        Assert.Equal("ready", await exec.StandardOutput.ReadLineAsync());
        long accepted = 0;
        var chunk = new byte[1 << 20];
        var writing = Task.Run(async () =>
        {
            for (long written = 0; written < OneGiB; written += chunk.Length)
            {
                await exec.StandardInput.BaseStream.WriteAsync(chunk);
                Interlocked.Add(ref accepted, chunk.Length);
            }
        });

        var (stalledAt, peak) = await WaitForStallAsync(() => Interlocked.Read(ref accepted), writing);

        Assert.False(writing.IsCompleted, $"a workload that never reads took a whole gigabyte (peak server RSS growth {(peak - before) >> 20} MiB)");
        Assert.True(stalledAt < 64L << 20, $"{stalledAt >> 20} MiB went in before the client was held back");
        Assert.True(peak - before < BoundedGrowth, $"the server grew by {(peak - before) >> 20} MiB");
        exec.Kill();
    }

    [Fact]
    public async Task A_client_that_never_reads_its_output_leaves_the_server_bounded()
    {
        var before = ServerRss();
        // The workload says on stderr how far it got, so the test sees it stall without reading stdout.
        using var exec = StartCli("exec", "--rm", "--chdir", Basic, "--", "bash", "-c",
            "for i in $(seq 1024); do head -c 1048576 /dev/zero || exit; echo $i >&2; done");
        long progress = 0;
        var counting = Task.Run(async () =>
        {
            while (await exec.StandardError.ReadLineAsync() is { } line)
                if (long.TryParse(line, out var mib))
                    Interlocked.Exchange(ref progress, mib);
        });

        var (stalledAt, peak) = await WaitForStallAsync(() => Interlocked.Read(ref progress), counting);

        Assert.True(peak - before < BoundedGrowth, $"the server grew by {(peak - before) >> 20} MiB while the workload wrote {stalledAt} MiB");
        exec.Kill();
    }

    /// <summary>
    /// Samples the server's RSS until <paramref name="progress"/> stops moving for a few samples in a row (the
    /// back-pressure held) or <paramref name="done"/> ends; returns where it stopped and the highest RSS seen.
    /// Waiting for nothing to happen has no event to wait on, hence the samples.
    /// </summary>
    private async Task<(long StalledAt, long PeakRss)> WaitForStallAsync(Func<long> progress, Task done)
    {
        long peak = 0, last = -1;
        var still = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (still < 5 && !done.IsCompleted && !deadline.IsCancellationRequested)
        {
            await Task.WhenAny(done, Task.Delay(TimeSpan.FromMilliseconds(400)));
            peak = Math.Max(peak, ServerRss());
            var now = progress();
            still = now == last ? still + 1 : 0;
            last = now;
        }
        return (last, peak);
    }

    private long ServerRss() =>
        _server.ServerProcesses().Sum(p =>
        {
            p.Refresh();
            return p.WorkingSet64;
        });

    private Process StartCli(params string[] args)
    {
        var start = new ProcessStartInfo(Product.Cleanroom)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in _server.Environment)
            start.Environment[name] = value;
        return Process.Start(start)!;
    }
}
