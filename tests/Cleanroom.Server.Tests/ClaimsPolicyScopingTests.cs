using System.Collections.Immutable;
using Cleanroom.Api.Addressing;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Tests;

/// <summary>
/// auth.policy at create: a sandbox on a backend, with an image or with allow-all its caller's rule does not grant is
/// refused with access_denied before anything exists, also when the request leaves the backend to the server; and
/// `auth check` prints what the rule allows. Principals are static tokens over loopback http.
/// </summary>
public sealed class ClaimsPolicyScopingTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;
    private string _http = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync(null, null, (root, configuration) =>
        {
            var tokens = new[] { "ci-local", "ci-vm", "ci-images", "stranger" }.Select(name =>
            {
                var file = Path.Combine(root, name + ".token");
                File.WriteAllText(file, $"{name}-token-0123456789abcdef");
                return new AuthToken(file, name);
            }).ToArray();
            static AuthPolicyRule Rule(string sub, string[]? backends, string[]? images) =>
                new([new ClaimPattern("sub", sub)], true, backends?.ToImmutableArray(), images?.ToImmutableArray(), false);
            return configuration with
            {
                Listen = ["http://127.0.0.1:0"],
                Auth = AuthSettings.Defaults with
                {
                    Required = true,
                    Tokens = [.. tokens],
                    Policy = [Rule("ci-local", ["host-process"], ["busybox@*"]), Rule("ci-vm", ["gvisor"], null), Rule("ci-images", null, ["ghcr.io/org/*"])],
                },
            };
        });
        _http = _server.Server.BoundAddresses.OfType<HttpApiAddress>().Single().ToString();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<CliResult> As(string principal, params string[] args) =>
        _server.RunCliAsync([.. args, "--host", _http, "--token-file", Path.Combine(_server.Root, principal + ".token")]);

    private async Task<int> SandboxCountAsync() => (await _server.Server.Control.ListSandboxesAsync(CancellationToken.None)).Count;

    [Fact]
    public async Task A_granted_create_works_and_ungranted_ones_are_refused_before_anything_exists()
    {
        var created = await As("ci-local", "create");
        Assert.True(created.ExitCode == 0, created.Error);
        var before = await SandboxCountAsync();

        var refused = new Dictionary<string, CliResult>
        {
            ["allow-all"] = await As("ci-local", "create", "--dangerously-allow-all"),
            ["image"] = await As("ci-images", "create"),
            ["explicit backend"] = await As("ci-local", "create", "--backend", "gvisor"),
            ["no match"] = await As("stranger", "create"),
        };

        foreach (var (what, result) in refused)
        {
            Assert.True(result.ExitCode != 0, $"{what}: {result.Out}");
            Assert.Contains("access_denied", result.Error);
        }
        Assert.Contains("--dangerously-allow-all is not granted", refused["allow-all"].Error);
        Assert.Contains("image busybox@", refused["image"].Error);
        Assert.Contains("backend gvisor", refused["explicit backend"].Error);
        Assert.Equal(before, await SandboxCountAsync());
    }

    [Fact]
    public async Task A_backend_left_to_the_server_is_checked_once_chosen()
    {
        var result = await As("ci-vm", "create");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("access_denied", result.Error);
        Assert.Contains("host-process, which the caller may not use", result.Error);
        Assert.DoesNotContain(await _server.Server.Control.ListSandboxesAsync(CancellationToken.None),
            s => s.Owner == "ci-vm" && s.Status == Cleanroom.ControlPlane.SandboxStatus.Ready);
    }

    [Fact]
    public async Task Auth_check_prints_the_deciding_rule_and_its_limits()
    {
        var allowed = await As("ci-local", "auth", "check");
        var denied = await As("stranger", "auth", "check");

        Assert.Equal(0, allowed.ExitCode);
        Assert.Contains("principal: ci-local", allowed.Out);
        Assert.Contains("allowed:   yes, by auth.policy[0] (sub matches \"ci-local\")", allowed.Out);
        Assert.Contains("backends:  host-process", allowed.Out);
        Assert.Contains("images:    busybox@*", allowed.Out);
        Assert.Contains("allow-all: no", allowed.Out);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("allowed:   no (every other call is refused with access_denied), by no auth.policy rule matches", denied.Out);
    }
}
