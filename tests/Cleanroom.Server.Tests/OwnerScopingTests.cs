using Cleanroom.Api.Addressing;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Server.Tests;

/// <summary>
/// With auth.required, a sandbox is its creator's: another principal gets not_found for every operation on it (as for
/// an id that does not exist), an admin sees it. Principals are static tokens over loopback http here.
/// </summary>
public sealed class OwnerScopingTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;
    private string _http = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerUnderTest.StartAsync(null, null, (root, configuration) =>
        {
            var tokens = new[] { "alice", "bob", "carol" }.Select(name =>
            {
                var file = Path.Combine(root, name + ".token");
                File.WriteAllText(file, $"{name}-token-0123456789abcdef");
                return new AuthToken(file, name);
            }).ToArray();
            return configuration with
            {
                Listen = ["http://127.0.0.1:0"],
                Auth = AuthSettings.Defaults with { Required = true, Tokens = [.. tokens], Admins = ["carol"] },
            };
        });
        _http = _server.Server.BoundAddresses.OfType<HttpApiAddress>().Single().ToString();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The verb as <paramref name="principal"/>: its token file and the http address, before any <c>--</c> and the command after it.</summary>
    private Task<CliResult> As(string principal, params string[] args)
    {
        var split = Array.IndexOf(args, "--") is var i and >= 0 ? i : args.Length;
        return _server.RunCliAsync([.. args[..split], "--host", _http, "--token-file", Path.Combine(_server.Root, principal + ".token"), .. args[split..]]);
    }

    [Fact]
    public async Task Another_principal_gets_not_found_for_every_operation_and_an_admin_sees_all()
    {
        var created = await As("alice", "create");
        Assert.True(created.ExitCode == 0, created.Error);
        var id = created.Out.Trim();
        Assert.Equal("alice", (await _server.Server.Control.GetSandboxAsync(id, CancellationToken.None)).Owner);
        var ran = await As("alice", "exec", "--in", id, "--", "sh", "-c", "echo mine > /tmp/f");
        Assert.True(ran.ExitCode == 0, ran.Error);

        var attempts = new Dictionary<string, CliResult>
        {
            ["inspect"] = await As("bob", "sandbox", "inspect", id),
            ["events"] = await As("bob", "sandbox", "events", id),
            ["exec"] = await As("bob", "exec", "--in", id, "--", "true"),
            ["executions"] = await As("bob", "execution", "ls", "--in", id),
            ["cp"] = await As("bob", "cp", $"{id}:/tmp/f", Path.Combine(_server.Root, "stolen")),
            ["expose"] = await As("bob", "expose", "--in", id, "--expose", "0:80"),
            ["rm"] = await As("bob", "sandbox", "rm", id),
        };
        var bobsList = await As("bob", "sandbox", "ls", "--all");
        var unknown = await As("bob", "sandbox", "inspect", "sb-doesnotexist");

        foreach (var (verb, result) in attempts)
        {
            Assert.True(result.ExitCode != 0, $"{verb} succeeded for another principal: {result.Out}");
            Assert.Contains("not_found", result.Error);
            // The same words as for an id that does not exist: nothing says the sandbox is there.
            Assert.Contains($"sandbox {id} does not exist", result.Error.Replace("execution", "sandbox"));
        }
        Assert.Contains("not_found", unknown.Error);
        Assert.DoesNotContain(id, bobsList.Out);
        Assert.False(File.Exists(Path.Combine(_server.Root, "stolen")));
        Assert.Contains(id, (await As("alice", "sandbox", "ls")).Out);
        var adminInspect = await As("carol", "sandbox", "inspect", id);
        Assert.Equal(0, adminInspect.ExitCode);
        Assert.Contains("owner:       alice", adminInspect.Out);
        Assert.Contains(id, (await As("carol", "sandbox", "ls")).Out);
        Assert.Equal(0, (await As("alice", "exec", "--in", id, "--", "true")).ExitCode);
    }

    [Fact]
    public async Task An_execution_of_another_principal_is_not_found()
    {
        var created = await As("alice", "create");
        var id = created.Out.Trim();
        await As("alice", "exec", "--in", id, "--", "echo", "secret-output");
        var executions = await _server.Server.Control.ListExecutionsAsync(id, CancellationToken.None);
        var executionId = Assert.Single(executions).Id;

        var logs = await As("bob", "execution", "logs", executionId);
        var inspect = await As("bob", "execution", "inspect", executionId);

        Assert.NotEqual(0, logs.ExitCode);
        Assert.Contains($"execution {executionId} does not exist", logs.Error);
        Assert.DoesNotContain("secret-output", logs.Out);
        Assert.Contains("not_found", inspect.Error);
    }
}
