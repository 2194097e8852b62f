using Cleanroom.Agent.ExecHelper;

namespace Cleanroom.Agent.Tests;

public sealed class UserDatabaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cleanroom-userdb-").FullName;
    private readonly UserDatabase _database;

    public UserDatabaseTests()
    {
        File.WriteAllText(Path.Combine(_dir, "passwd"),
            "root:x:0:0:root:/root:/bin/sh\n" +
            "builder:x:1000:1000:CI builder:/home/builder:/bin/bash\n");
        File.WriteAllText(Path.Combine(_dir, "group"),
            "root:x:0:\nbuilder:x:1000:\ndocker:x:999:builder,other\nwheel:x:10:root\n");
        _database = new UserDatabase(Path.Combine(_dir, "passwd"), Path.Combine(_dir, "group"));
    }

    [Fact]
    public void Name_resolves_to_its_ids_home_and_supplementary_groups()
    {
        var user = _database.Resolve("builder");

        Assert.Equal((1000u, 1000u, "/home/builder"), (user.Uid, user.Gid, user.Home));
        Assert.Equal([1000u, 999u], user.Groups);
    }

    [Fact]
    public void Explicit_group_replaces_the_primary_group_and_drops_the_supplementary_ones()
    {
        var user = _database.Resolve("builder:docker");

        Assert.Equal((1000u, 999u), (user.Uid, user.Gid));
        Assert.Equal([999u], user.Groups);
    }

    [Fact]
    public void Numeric_uid_with_an_entry_uses_that_entry()
    {
        var user = _database.Resolve("1000");

        Assert.Equal((1000u, 1000u, "/home/builder"), (user.Uid, user.Gid, user.Home));
    }

    [Fact]
    public void Numeric_uid_without_an_entry_gets_the_same_gid_and_never_root_group()
    {
        var user = _database.Resolve("4242");

        Assert.Equal((4242u, 4242u, (string?)null), (user.Uid, user.Gid, user.Home));
        Assert.Equal([4242u], user.Groups);
    }

    [Fact]
    public void Unknown_name_or_group_is_refused()
    {
        Assert.Throws<UserNotFoundException>(() => _database.Resolve("nobody-here"));
        Assert.Throws<UserNotFoundException>(() => _database.Resolve("builder:nogroup"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
