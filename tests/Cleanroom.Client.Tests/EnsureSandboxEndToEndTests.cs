using Cleanroom.Errors;

namespace Cleanroom.Client.Tests;

[Collection(RealServerCollection.Name)]
public class EnsureSandboxEndToEndTests(ServerFixture fixture)
{
    [Fact]
    public async Task Two_concurrent_callers_ensuring_one_key_get_one_ready_sandbox()
    {
        // Two clients, two connections: what two processes of an agent platform would do.
        using var first = fixture.NewClient();
        using var second = fixture.NewClient();
        var key = "thread-" + Guid.NewGuid().ToString("N");
        var options = new SandboxOptions { Policy = fixture.DefaultPolicy, Labels = new Dictionary<string, string> { ["owner"] = "client-tests" } };

        var both = await Task.WhenAll(
            Task.Run(() => first.EnsureSandboxAsync(key, options)),
            Task.Run(() => second.EnsureSandboxAsync(key, options)));
        try
        {
            Assert.Equal(both[0].Id, both[1].Id);
            Assert.All(both, s => Assert.Equal(Api.V1.SandboxStatus.Ready, s.Status));
            Assert.Equal(key, both[0].Labels[CleanroomClient.EnsureKeyLabel]);
            Assert.Equal(fixture.DefaultPolicy.Hash, both[0].PolicyHash);
            var listed = await first.ListSandboxesAsync(new Dictionary<string, string> { [CleanroomClient.EnsureKeyLabel] = key });
            Assert.Equal(both[0].Id, Assert.Single(listed).Id);

            var later = await second.EnsureSandboxAsync(key, options);
            Assert.Equal(both[0].Id, later.Id);
        }
        finally
        {
            await both[0].TerminateAsync();
        }

        // Once it is stopped, the key makes a new one.
        var fresh = await first.EnsureSandboxAsync(key, options);
        await fresh.TerminateAsync();
        Assert.NotEqual(both[0].Id, fresh.Id);
    }

    [Fact]
    public async Task Ensuring_a_key_with_another_policy_fails_with_its_stable_code_over_the_wire()
    {
        using var client = fixture.NewClient();
        var key = "conflict-" + Guid.NewGuid().ToString("N");
        var sandbox = await client.EnsureSandboxAsync(key, new SandboxOptions { Policy = fixture.DefaultPolicy });
        try
        {
            var other = Policy.FromAllowlist(fixture.DefaultPolicy.ImageRef, Policy.Allow("example.com", 443));
            var ex = await Assert.ThrowsAnyAsync<CleanroomException>(() => client.EnsureSandboxAsync(key, new SandboxOptions { Policy = other }));

            Assert.Equal(ErrorCode.EnsureKeyConflict, ex.Code);
            Assert.Contains(sandbox.Id, ex.Message);
        }
        finally
        {
            await sandbox.TerminateAsync();
        }
    }

    [Fact]
    public async Task A_missing_sandbox_is_not_found()
    {
        using var client = fixture.NewClient();

        var ex = await Assert.ThrowsAnyAsync<CleanroomException>(() => client.GetSandboxAsync("sb-doesnotexist00"));

        Assert.Equal(ErrorCode.NotFound, ex.Code);
    }
}
