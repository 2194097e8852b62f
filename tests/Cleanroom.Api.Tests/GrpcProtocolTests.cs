using System.Net.Http;
using System.Net.Sockets;
using Cleanroom.Api.Errors;
using Cleanroom.Api.Tests.TestDoubles;
using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cleanroom.Api.Tests;

/// <summary>gRPC (HTTP/2) on the unix socket, checked with the plain Grpc.Net.Client, not our client wrapper.</summary>
public sealed class GrpcProtocolTests(ServerFixture fixture) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(fixture.Server.Socket.Path), token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        },
    });

    private SandboxService.SandboxServiceClient Sandboxes => new(_channel);

    public static TheoryData<string, StatusCode> StableCodes => new()
    {
        { ErrorCode.PolicyInvalid, StatusCode.InvalidArgument },
        { ErrorCode.PolicyConflict, StatusCode.InvalidArgument },
        { ErrorCode.PolicyNotFound, StatusCode.InvalidArgument },
        { ErrorCode.InvalidArgument, StatusCode.InvalidArgument },
        { ErrorCode.ConfigInvalid, StatusCode.FailedPrecondition },
        { ErrorCode.NotFound, StatusCode.NotFound },
        { ErrorCode.BackendUnavailable, StatusCode.Unavailable },
        { ErrorCode.BackendCapabilityMismatch, StatusCode.FailedPrecondition },
        { ErrorCode.HostNotAllowed, StatusCode.PermissionDenied },
        { ErrorCode.RegistryNotAllowed, StatusCode.PermissionDenied },
        { ErrorCode.LockfileViolation, StatusCode.PermissionDenied },
        { ErrorCode.SecretScopeViolation, StatusCode.PermissionDenied },
        { ErrorCode.RuntimeLaunchFailed, StatusCode.Internal },
    };

    [Fact]
    public async Task Unary_call_returns_what_the_service_returned_with_headers_and_trailers()
    {
        using var call = Sandboxes.ListSandboxesAsync(new ListSandboxesRequest());
        var response = await call;

        Assert.Equal(["sb-1", "sb-2"], response.Sandboxes.Select(s => s.SandboxId));
        Assert.Equal(SandboxStatus.Ready, response.Sandboxes[0].Status);
        Assert.Equal("fake", (await call.ResponseHeadersAsync).GetValue("x-served-by"));
        Assert.Equal("/cleanroom.v1.SandboxService/ListSandboxes", (await call.ResponseHeadersAsync).GetValue("x-http-path"));
        Assert.Equal("2", call.GetTrailers().GetValue("x-sandbox-count"));
    }

    [Fact]
    public async Task Server_streaming_delivers_every_message_in_order()
    {
        using var call = new ExecutionService.ExecutionServiceClient(_channel)
            .StreamExecution(new StreamExecutionRequest { SandboxId = "sb-1", ExecutionId = "ex-1" });
        var events = new List<ExecutionStreamEvent>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) events.Add(call.ResponseStream.Current);

        Assert.Equal(3, events.Count);
        Assert.Equal("hello\n", events[0].Stdout.ToStringUtf8());
        Assert.Equal("warn\n", events[1].Stderr.ToStringUtf8());
        Assert.Equal(3, events[2].Exit.ExitCode);
    }

    [Theory]
    [MemberData(nameof(StableCodes))]
    public async Task Stable_code_travels_as_status_and_ErrorInfo(string code, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = code }));

        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal($"{code}: failure for {code}", ex.Status.Detail);
        var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        Assert.Equal(code, info.Reason);
        Assert.Equal("cleanroom.dev", info.Domain);
        Assert.Equal("registry.example.test", info.Metadata["host"]);

        var back = WireErrorReader.FromRpcException(ex);
        Assert.Equal(code, back.Code);
        Assert.Equal($"failure for {code}", back.Message);
    }

    [Fact]
    public async Task Unexpected_exception_is_internal_and_reveals_nothing()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await Sandboxes.GetSandboxAsync(new GetSandboxRequest { SandboxId = "boom" }));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail);
        Assert.DoesNotContain("secret", string.Join(";", ex.Trailers.Select(t => t.IsBinary ? Convert.ToBase64String(t.ValueBytes) : t.Value)));
        Assert.Equal(ApiErrorCode.Internal, ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
    }

    [Fact]
    public async Task Stream_that_fails_midway_delivers_earlier_messages_then_the_stable_code()
    {
        using var call = Sandboxes.StreamSandboxEvents(new StreamSandboxEventsRequest { SandboxId = "fail-mid-stream" });
        var received = 0;
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received++;
        });

        Assert.Equal(2, received);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Equal(ErrorCode.BackendUnavailable, WireErrorReader.FromRpcException(ex).Code);
    }

    [Fact]
    public async Task Method_the_implementation_does_not_override_is_unimplemented()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new ExecutionService.ExecutionServiceClient(_channel).GetExecutionAsync(new GetExecutionRequest()));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    public void Dispose() => _channel.Dispose();
}
