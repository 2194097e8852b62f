using System.Security.Cryptography;
using System.Text;
using Cleanroom.Api.V1;

namespace Cleanroom.Client.Tests;

[Collection(RealServerCollection.Name)]
public class ExecEndToEndTests(ServerFixture fixture) : IAsyncLifetime
{
    private const int HundredMegabytes = 100 * 1024 * 1024;
    private const string Line = "abcdefghijklmnopqrstuvwxyz0123456789\n";

    private CleanroomClient _client = null!;
    private Sandbox _sandbox = null!;

    public async Task InitializeAsync()
    {
        _client = fixture.NewClient();
        _sandbox = await _client.CreateSandboxAsync(new SandboxOptions { Policy = fixture.DefaultPolicy });
    }

    public async Task DisposeAsync()
    {
        await _sandbox.TerminateAsync();
        _client.Dispose();
    }

    [Fact]
    public async Task ExecAndWait_returns_the_exit_code_and_100_MB_of_output_intact()
    {
        using var stdout = new HashingStream();
        using var stderr = new MemoryStream();

        var result = await _sandbox.ExecAndWaitAsync(
            ["sh", "-c", $"yes {Line.TrimEnd()} | head -c {HundredMegabytes}; echo done >&2; exit 7"], stdout, stderr);

        Assert.Equal(7, result.ExitCode);
        Assert.Equal(ExecutionStatus.Failed, result.Status);
        Assert.False(result.OutputTruncated);
        Assert.Equal(HundredMegabytes, stdout.Length);
        Assert.Equal(HundredMegabytes, result.StdoutBytes);
        Assert.Equal(ExpectedHash(), stdout.Hash());
        Assert.Equal("done\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public async Task Exec_streams_output_live_and_takes_stdin()
    {
        await using var execution = await _sandbox.ExecAsync(["sh", "-c", "echo ready; read line; echo \"got $line\"; cat >&2"],
            new ExecOptions { Stdin = true, Environment = new Dictionary<string, string> { ["GREETING"] = "hi" } });
        await using var output = execution.ReadOutputAsync().GetAsyncEnumerator();

        // The first line arrives while the command still waits for stdin: output is live, not collected at the end.
        Assert.True(await output.MoveNextAsync());
        Assert.Equal("ready\n", Encoding.UTF8.GetString(output.Current.Data.Span));
        await execution.WriteStdinAsync("world\nrest"u8.ToArray());
        await execution.CloseStdinAsync();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        while (await output.MoveNextAsync())
            (output.Current.Stream == OutputStreamKind.Stdout ? stdout : stderr).Append(Encoding.UTF8.GetString(output.Current.Data.Span));
        var result = await execution.WaitAsync();

        Assert.Equal("got world\n", stdout.ToString());
        Assert.Equal("rest", stderr.ToString());
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Cancel_stops_a_running_command_which_ends_canceled()
    {
        await using var execution = await _sandbox.ExecAsync(["sleep", "600"]);

        await execution.CancelAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await execution.WaitAsync(deadline.Token);

        Assert.Equal(ExecutionStatus.Canceled, result.Status);
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task Cancelling_ExecAndWait_cancels_the_command_on_the_server()
    {
        using var cancel = new CancellationTokenSource();
        var marker = "sleep-" + Guid.NewGuid().ToString("N")[..8];
        var waiting = _sandbox.ExecAndWaitAsync(["sh", "-c", $"echo started; exec sleep 600 # {marker}"], new StartSignal(cancel), null,
            cancellationToken: cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        var executions = await _client.Executions.ListExecutionsAsync(new ListExecutionsRequest { SandboxId = _sandbox.Id });
        var execution = Assert.Single(executions.Executions, e => e.Command.Any(c => c.Contains(marker)));
        using var call = _client.Executions.StreamExecution(new StreamExecutionRequest { SandboxId = _sandbox.Id, ExecutionId = execution.ExecutionId, Follow = true });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        ExecutionExit? exit = null;
        while (await call.ResponseStream.MoveNext(deadline.Token))
            exit = call.ResponseStream.Current.Exit ?? exit;
        Assert.Equal(ExecutionStatus.Canceled, exit?.Status);
    }

    private static string ExpectedHash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = Encoding.ASCII.GetBytes(Line);
        var remaining = HundredMegabytes;
        while (remaining > 0)
        {
            var take = Math.Min(remaining, line.Length);
            sha.AppendData(line, 0, take);
            remaining -= take;
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    /// <summary>A write-only stream that keeps only a SHA-256 and a length: 100 MB checked without holding it.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _length;

        public string Hash() => Convert.ToHexString(_sha.GetCurrentHash());

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _sha.AppendData(buffer);
            _length += buffer.Length;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _sha.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Cancels its token when the command's first output arrives: the command is surely running then.</summary>
    private sealed class StartSignal(CancellationTokenSource cancel) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => cancel.Cancel();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancel.Cancel();
            return ValueTask.CompletedTask;
        }
    }
}
