using System.Text;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Conformance;

// Ports: connections from the host to a server on the sandbox's loopback, made from inside the sandbox.
public abstract partial class BackendConformanceTests
{
    [BackendFact]
    public async Task A_server_on_the_sandboxs_loopback_is_reached_from_the_host_both_ways()
    {
        var sandbox = await NewSandboxAsync();
        // busybox httpd goes to the background once it listens (on loopback only), so it serves when this returns.
        var serving = await ExecutionResult.RunAsync(sandbox, "sh", "-c",
            "mkdir -p /tmp/www && echo served-from-the-sandbox > /tmp/www/index.html && httpd -p 127.0.0.1:7000 -h /tmp/www");
        Assert.Equal(ExitStatus.Exited(0), serving.Exit);
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);

        await using var connection = await ((ISandboxPorts)sandbox).ConnectPortAsync(7000, deadline.Token);
        await connection.Stream.WriteAsync("GET /index.html HTTP/1.0\r\n\r\n"u8.ToArray(), deadline.Token);
        await connection.ShutdownWriteAsync(deadline.Token);
        using var response = new MemoryStream();
        await connection.Stream.CopyToAsync(response, deadline.Token);

        var text = Encoding.UTF8.GetString(response.ToArray());
        Assert.StartsWith("HTTP/1.", text);
        Assert.Contains("served-from-the-sandbox", text);
    }

    [BackendFact]
    public async Task A_port_nothing_listens_on_is_refused_with_a_stable_code()
    {
        var sandbox = await NewSandboxAsync();
        using var deadline = new CancellationTokenSource(ExecutionResult.DefaultTimeout);

        var refused = await Assert.ThrowsAsync<CleanroomException>(() => ((ISandboxPorts)sandbox).ConnectPortAsync(7001, deadline.Token));

        Assert.Equal(ErrorCode.ConnectionRefused, refused.Code);
    }
}
