using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.Server.Tests.Gateway;

public class MirrorEvictionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    private static MirrorUsage Mirror(string name, long bytes, int daysAgo, bool inUse = false) => new(name, bytes, Now.AddDays(-daysAgo), inUse);

    [Fact]
    public void Within_the_bound_and_the_expiry_nothing_is_removed() =>
        Assert.Empty(MirrorEviction.Choose([Mirror("a", 40, 1), Mirror("b", 60, 2)], 100, TimeSpan.FromDays(30), Now));

    [Fact]
    public void Beyond_the_bound_the_least_recently_used_go_first_until_the_rest_fit()
    {
        var chosen = MirrorEviction.Choose([Mirror("new", 50, 0), Mirror("old", 50, 5), Mirror("middle", 50, 3), Mirror("oldest", 10, 9)],
            100, TimeSpan.FromDays(30), Now);

        Assert.Equal(["oldest", "old"], chosen);
    }

    [Fact]
    public void Expired_mirrors_go_whatever_the_total() =>
        Assert.Equal(["stale"], MirrorEviction.Choose([Mirror("stale", 1, 31), Mirror("fresh", 1, 29)], 1000, TimeSpan.FromDays(30), Now));

    [Fact]
    public void A_mirror_in_use_is_never_chosen_even_when_it_is_the_oldest_or_expired()
    {
        var chosen = MirrorEviction.Choose([Mirror("busy", 80, 40, inUse: true), Mirror("idle", 30, 1), Mirror("newest", 10, 0)],
            50, TimeSpan.FromDays(30), Now);

        // busy counts towards the total (80 > 50) but stays; the idle ones go, oldest first, until nothing else can.
        Assert.Equal(["idle", "newest"], chosen);
    }

    [Fact]
    public async Task A_sweep_removes_the_chosen_bare_repositories_and_keeps_a_leased_one()
    {
        var root = Directory.CreateTempSubdirectory("cleanroom-mirrors-").FullName;
        try
        {
            var clock = new FakeTimeProvider(Now);
            var housekeeping = new MirrorHousekeeping(root, new MirrorSettings(1, 30), clock, NullLogger.Instance);
            string Bare(string relative)
            {
                var path = Path.Combine(root, relative);
                Directory.CreateDirectory(Path.Combine(path, "objects"));
                File.WriteAllText(Path.Combine(path, "HEAD"), "ref: refs/heads/main\n");
                return path;
            }

            var leased = Bare("git.test_443/org/leased.git");
            var idle = Bare("git.test_443/org/sub/idle.git");
            File.WriteAllText(Path.Combine(root, "upstream-ca-bundle.pem"), "not a mirror");
            Assert.Equal([leased, idle], MirrorHousekeeping.Find(root).Order(StringComparer.Ordinal));

            using (housekeeping.Lease(leased))
                await housekeeping.SweepAsync();

            Assert.True(Directory.Exists(leased));
            Assert.False(Directory.Exists(idle));
            Assert.True(File.Exists(Path.Combine(root, "upstream-ca-bundle.pem")));
            Assert.Empty(Directory.EnumerateDirectories(root, ".removing-*"));
            await housekeeping.SweepAsync();
            Assert.False(Directory.Exists(leased));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
