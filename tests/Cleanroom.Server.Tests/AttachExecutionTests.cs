using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Cleanroom.Client;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;
using Grpc.Core;

namespace Cleanroom.Server.Tests;

/// <summary>
/// AttachExecution over the real gRPC socket (host-process backend): stdin as it arrives, its end, one writer and
/// many readers, detaching, and what the server refuses.
/// </summary>
public sealed class AttachExecutionTests : IAsyncLifetime
{
    private const string LineEcho = "while IFS= read -r line; do echo \"re:$line\"; done; echo eof";

    private ServerUnderTest _server = null!;
    private CleanroomClient _client = null!;
    private string _sandboxId = "";

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync();
        _client = _server.Client();
        var created = await _server.RunCliAsync("create");
        Assert.Equal(0, created.ExitCode);
        _sandboxId = created.Out.Trim();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_request_response_exchange_over_stdin_works_line_by_line_and_eof_reaches_the_workload()
    {
        using var call = _client.Executions.AttachExecution();
        await call.RequestStream.WriteAsync(Create("sh", "-c", LineEcho));
        var opening = await Next(call);
        Assert.False(string.IsNullOrEmpty(opening.ExecutionId));
        Assert.Equal(ExecutionStreamEvent.PayloadOneofCase.None, opening.PayloadCase);

        var lines = new LineReader(call.ResponseStream);
        for (var i = 0; i < 100; i++)
        {
            await call.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8($"request {i}\n") });
            // The answer arrives before the next request is sent: nothing waits for stdin to end.
            Assert.Equal($"re:request {i}", await lines.NextLineAsync());
        }

        await call.RequestStream.WriteAsync(new AttachExecutionRequest { CloseStdin = true });
        Assert.Equal("eof", await lines.NextLineAsync());
        var exit = await lines.ExitAsync();
        Assert.Equal(ExecutionStatus.Succeeded, exit.Status);
    }

    [Fact]
    public async Task A_second_session_watches_the_output_but_cannot_take_the_stdin_until_the_first_leaves()
    {
        using var first = _client.Executions.AttachExecution();
        await first.RequestStream.WriteAsync(Create("sh", "-c", LineEcho));
        var executionId = (await Next(first)).ExecutionId;
        var firstLines = new LineReader(first.ResponseStream);
        await first.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("before\n") });
        Assert.Equal("re:before", await firstLines.NextLineAsync());

        using var watcher = _client.Executions.AttachExecution();
        await watcher.RequestStream.WriteAsync(Attach(executionId, stdin: false));
        Assert.Equal(executionId, (await Next(watcher)).ExecutionId);
        var watched = new LineReader(watcher.ResponseStream);
        Assert.Equal("re:before", await watched.NextLineAsync()); // what was retained, first

        using var rival = _client.Executions.AttachExecution();
        await rival.RequestStream.WriteAsync(Attach(executionId, stdin: true));
        var refused = await Assert.ThrowsAnyAsync<CleanroomException>(() => Next(rival));
        Assert.Equal(ErrorCode.StdinAttached, refused.Code);

        await first.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("live\n") });
        Assert.Equal("re:live", await firstLines.NextLineAsync());
        Assert.Equal("re:live", await watched.NextLineAsync()); // and then live

        // Leaving (the client cancels its call) detaches: the execution goes on and its stdin is free again.
        first.Dispose();
        using var next = await AttachWithStdinWhenFreeAsync(executionId);
        var nextLines = new LineReader(next.ResponseStream);
        Assert.Equal("re:before", await nextLines.NextLineAsync());
        Assert.Equal("re:live", await nextLines.NextLineAsync());
        await next.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("after\n") });
        await next.RequestStream.WriteAsync(new AttachExecutionRequest { CloseStdin = true });
        Assert.Equal("re:after", await nextLines.NextLineAsync());
        Assert.Equal("eof", await nextLines.NextLineAsync());
        Assert.Equal(ExecutionStatus.Succeeded, (await nextLines.ExitAsync()).Status);
        Assert.Equal("re:after", await watched.NextLineAsync());
    }

    [Fact]
    public async Task A_signal_from_the_session_reaches_the_workload()
    {
        using var call = _client.Executions.AttachExecution();
        await call.RequestStream.WriteAsync(Create("sh", "-c", "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.1; done"));
        await Next(call);
        var lines = new LineReader(call.ResponseStream);
        Assert.Equal("ready", await lines.NextLineAsync());

        await call.RequestStream.WriteAsync(new AttachExecutionRequest { Signal = 15 });

        Assert.Equal("got-term", await lines.NextLineAsync());
        Assert.Equal(42, (await lines.ExitAsync()).ExitCode);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("stdin-first")]
    [InlineData("bad-signal")]
    [InlineData("second-create")]
    [InlineData("stdin-without-writer")]
    [InlineData("zero-size")]
    public async Task Malformed_sessions_are_refused_with_invalid_argument(string kind)
    {
        using var call = _client.Executions.AttachExecution();
        switch (kind)
        {
            case "empty":
                await call.RequestStream.CompleteAsync();
                break;
            case "stdin-first":
                await call.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("x") });
                break;
            case "zero-size":
                var create = Create("true");
                create.Create.Options.Tty = true;
                create.Create.Options.TerminalSize = new TerminalSize { Rows = 0, Columns = 80 };
                await call.RequestStream.WriteAsync(create);
                break;
            default:
                var session = Create("sleep", "30");
                session.Create.Options.Stdin = kind != "stdin-without-writer";
                await call.RequestStream.WriteAsync(session);
                await Next(call);
                await call.RequestStream.WriteAsync(kind switch
                {
                    "bad-signal" => new AttachExecutionRequest { Signal = 99 },
                    "second-create" => Create("true"),
                    _ => new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("x") },
                });
                break;
        }

        var error = await Assert.ThrowsAnyAsync<CleanroomException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task A_connect_client_over_http1_is_told_to_use_grpc()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_server.SocketPath), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        var content = new StringContent("{}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await http.PostAsync("http://localhost/cleanroom.v1.ExecutionService/AttachExecution", content);

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(501, (int)response.StatusCode);
        Assert.Contains("\"unimplemented\"", body);
        Assert.Contains("gRPC", body);
        Assert.Contains("StreamExecution", body);
    }

    [Fact]
    public async Task Exec_sends_a_piped_stdin_as_it_arrives_and_its_end_as_eof()
    {
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes("one\ntwo\n"));

        var run = await _server.RunCliWithStdinAsync(stdin, "exec", "--in", _sandboxId, "--", "sh", "-c", LineEcho);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("re:one\nre:two\neof\n", run.Out);
    }

    [Fact]
    public async Task Exec_with_no_stdin_gives_the_workload_an_empty_one()
    {
        using var stdin = new MemoryStream(Encoding.UTF8.GetBytes("ignored\n"));

        var run = await _server.RunCliWithStdinAsync(stdin, "exec", "-n", "--in", _sandboxId, "--", "sh", "-c", LineEcho);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("eof\n", run.Out);
    }

    [Fact]
    public async Task Stdin_sent_to_a_command_that_ended_before_the_session_took_its_stdin_is_dropped_not_refused()
    {
        // run.before fails, so the execution has ended (FAILED) before the session could claim its stdin.
        var policy = Cleanroom.Policy.PolicyCompiler.Compile(
            $"version: 1\nsandbox:\n  image:\n    ref: busybox@{ServerUnderTest.Digest}\n  run:\n    before: echo not today >&2; exit 4\n", "test").Policy!;
        var sandboxId = (await _client.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest { PolicyJson = policy.CanonicalJson })).Sandbox.SandboxId;
        var request = new CreateExecutionRequest { SandboxId = sandboxId, Options = new ExecutionOptions { Stdin = true, Workdir = "/tmp" } };
        request.Command.Add("cat");
        using var call = _client.Executions.AttachExecution();
        await call.RequestStream.WriteAsync(new AttachExecutionRequest { Create = request });
        await call.RequestStream.WriteAsync(new AttachExecutionRequest { Stdin = ByteString.CopyFromUtf8("ignored\n") });
        await call.RequestStream.WriteAsync(new AttachExecutionRequest { CloseStdin = true });
        await call.RequestStream.CompleteAsync();

        var stderr = new StringBuilder();
        ExecutionExit? exit = null;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            stderr.Append(call.ResponseStream.Current.Stderr.ToStringUtf8());
            if (call.ResponseStream.Current.PayloadCase == ExecutionStreamEvent.PayloadOneofCase.Exit)
                exit = call.ResponseStream.Current.Exit;
        }

        Assert.NotNull(exit);
        Assert.Equal(ExecutionStatus.Failed, exit.Status);
        Assert.Contains("not today", stderr.ToString());
    }

    private AttachExecutionRequest Create(params string[] command)
    {
        var request = new CreateExecutionRequest { SandboxId = _sandboxId, Options = new ExecutionOptions { Stdin = true } };
        request.Command.AddRange(command);
        return new AttachExecutionRequest { Create = request };
    }

    private AttachExecutionRequest Attach(string executionId, bool stdin) =>
        new() { Attach = new AttachTarget { SandboxId = _sandboxId, ExecutionId = executionId, Stdin = stdin } };

    // The server frees the stdin when it notices the first session's end; that is an event on its side, so the
    // test asks again until it is through (each try is a real refusal or the success), within a deadline.
    private async Task<AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent>> AttachWithStdinWhenFreeAsync(string executionId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var call = _client.Executions.AttachExecution();
            await call.RequestStream.WriteAsync(Attach(executionId, stdin: true));
            try
            {
                await Next(call);
                return call;
            }
            catch (CleanroomException e) when (e.Code == ErrorCode.StdinAttached && !deadline.IsCancellationRequested)
            {
                call.Dispose();
                await Task.Yield();
            }
        }
    }

    private static async Task<ExecutionStreamEvent> Next(AsyncDuplexStreamingCall<AttachExecutionRequest, ExecutionStreamEvent> call)
    {
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the session ended early");
        return call.ResponseStream.Current;
    }

    /// <summary>Reads an attached session's stdout line by line, then its exit.</summary>
    private sealed class LineReader(IAsyncStreamReader<ExecutionStreamEvent> stream)
    {
        private readonly StringBuilder _pending = new();

        public async Task<string> NextLineAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var text = _pending.ToString();
                var newline = text.IndexOf('\n');
                if (newline >= 0)
                {
                    _pending.Remove(0, newline + 1);
                    return text[..newline];
                }

                Assert.True(await stream.MoveNext(timeout.Token), "the session ended before a whole line came");
                Assert.NotEqual(ExecutionStreamEvent.PayloadOneofCase.Exit, stream.Current.PayloadCase);
                _pending.Append(stream.Current.Stdout.ToStringUtf8());
            }
        }

        public async Task<ExecutionExit> ExitAsync()
        {
            while (await stream.MoveNext(CancellationToken.None))
            {
                if (stream.Current.PayloadCase == ExecutionStreamEvent.PayloadOneofCase.Exit)
                {
                    return stream.Current.Exit;
                }
            }

            throw new InvalidOperationException("the session ended without an exit");
        }
    }
}
