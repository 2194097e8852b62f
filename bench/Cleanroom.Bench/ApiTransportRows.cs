using Cleanroom.Api.Addressing;
using Cleanroom.Api.Tests.Support;
using Cleanroom.Api.V1;
using Cleanroom.Client;
using Cleanroom.EndToEnd.Tests.Otlp;
using Cleanroom.Policy;

namespace Cleanroom.Bench;

/// <summary>
/// Issue 19's two figures, each against its baseline in the same run, run by run in turn: an API exec on a READY
/// sandbox over HTTPS with an OIDC JWT (a real issuer on 127.0.0.1, <c>tls init</c>'s certificates) against the same
/// over the unix socket; and <c>exec --rm</c> on a server exporting traces and metrics by OTLP (to a real OTLP/gRPC
/// collector in this process) against a server with telemetry off. Both servers are the bench's own, warm pool off.
/// </summary>
internal sealed class ApiTransportRows(Report report, string cleanroom, string policyDirectory, CompiledPolicy policy, int runs)
{
    public async Task MeasureAsync()
    {
        await MeasureHttpsAsync();
        await MeasureTracingAsync();
    }

    private async Task MeasureHttpsAsync()
    {
        await using var issuer = await TestOidcIssuer.StartAsync();
        var tls = Directory.CreateTempSubdirectory("cleanroom-bench-tls-").FullName;
        try
        {
            await Commands.RunAsync(cleanroom, "tls", "init", tls);
            await using var server = await PrivateServer.StartAsync(cleanroom, 0,
                $"warm_pool:\n  size: 0\ntls: {{cert_file: {tls}/server.crt, key_file: {tls}/server.key}}\n"
                + $"auth:\n  required: true\n  oidc: {{issuers: [{{issuer: \"{issuer.Issuer}\", audience: cleanroom}}]}}\n  admins: [\"uid:0\"]\n",
                "https://127.0.0.1:0");
            using var socket = new CleanroomClient(new UnixApiAddress(server.Socket));
            using var https = new CleanroomClient(new CleanroomClientOptions
            {
                Address = ApiAddress.Parse(await server.HttpsAddressAsync()),
                Token = issuer.Token(subject: "bench"),
                TlsCaFile = Path.Combine(tls, "ca.crt"),
            });
            // The JWT's principal creates the sandbox; root on the socket is an admin, so both may exec in it.
            var sandboxId = (await https.Sandboxes.CreateSandboxAsync(new CreateSandboxRequest
            {
                PolicyJson = policy.CanonicalJson,
                PolicyHash = policy.PolicyHash,
            })).Sandbox.SandboxId;
            await WaitUntilReadyAsync(socket, sandboxId);
            var (overHttps, overSocket) = await Measurement.TimeAlternatingAsync(
                "HTTPS + JWT", () => GvisorRows.ExecuteTrueAsync(https, sandboxId),
                "unix socket", () => GvisorRows.ExecuteTrueAsync(socket, sandboxId), runs * 3);
            report.Compare("API exec true on a ready sandbox, HTTPS with a JWT against the unix socket", overHttps, overSocket, "<= 1.2x");
            await socket.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = sandboxId });
        }
        finally
        {
            Directory.Delete(tls, recursive: true);
        }
    }

    private async Task MeasureTracingAsync()
    {
        await using var collector = await OtlpTraceReceiver.StartAsync();
        await using var plain = await PrivateServer.StartAsync(cleanroom, 1, "warm_pool:\n  size: 0\n");
        await using var traced = await PrivateServer.StartAsync(cleanroom, 2,
            $"warm_pool:\n  size: 0\nobservability:\n  otlp_endpoint: \"{collector.Endpoint}\"\n");
        var (on, off) = await Measurement.TimeAlternatingAsync(
            "export on", () => ExecRemoveAsync(traced),
            "export off", () => ExecRemoveAsync(plain), runs);
        report.Compare("exec --rm -- true, OTLP trace and metric export on against off", on, off, "-");
        // The figure counts only if the spans really went out.
        await collector.WaitForAsync(spans => spans.Any(s => s.Name == "execution"), TimeSpan.FromSeconds(30));
    }

    private Task ExecRemoveAsync(PrivateServer server)
    {
        server.Select();
        return Commands.RunAsync(cleanroom, "exec", "--rm", "--chdir", policyDirectory, "--", "true");
    }

    private static async Task WaitUntilReadyAsync(CleanroomClient client, string sandboxId)
    {
        using var events = client.Sandboxes.StreamSandboxEvents(new StreamSandboxEventsRequest { SandboxId = sandboxId, Follow = true });
        while (await events.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (events.ResponseStream.Current.Status == SandboxStatus.Ready) return;
            if (events.ResponseStream.Current.Status == SandboxStatus.Failed)
                throw new InvalidOperationException($"sandbox {sandboxId} failed: {events.ResponseStream.Current.Message}");
        }
    }
}
