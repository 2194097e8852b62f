namespace Cleanroom.Agent.ExecHelper;

/// <summary>The identity a command runs as.</summary>
internal sealed record UserIdentity(uint Uid, uint Gid, IReadOnlyList<uint> Groups, string? Home);

internal sealed class UserNotFoundException(string message) : Exception(message);

/// <summary>
/// Resolves "name", "uid", "name:group" or "uid:gid" against the sandbox's /etc/passwd and /etc/group.
/// Parsed directly instead of through getpwnam: the agent runs with the host's libc inside an
/// arbitrary rootfs, where glibc's NSS modules may be absent or from another libc.
/// </summary>
internal sealed class UserDatabase(string passwdPath = "/etc/passwd", string groupPath = "/etc/group")
{
    public UserIdentity Resolve(string spec)
    {
        var colon = spec.IndexOf(':');
        var userPart = colon < 0 ? spec : spec[..colon];
        var groupPart = colon < 0 ? null : spec[(colon + 1)..];

        var passwd = ReadEntries(passwdPath);
        string[]? entry = uint.TryParse(userPart, out var numericUid)
            ? passwd.FirstOrDefault(e => e.Length >= 7 && e[2] == userPart)
            : passwd.FirstOrDefault(e => e.Length >= 7 && e[0] == userPart)
              ?? throw new UserNotFoundException($"user {userPart} not found in {passwdPath}");

        var uid = entry is null ? numericUid : ParseId(entry[2], passwdPath);
        // A numeric uid without a passwd entry gets the same number as its group rather than root's group.
        var gid = entry is null ? uid : ParseId(entry[3], passwdPath);
        if (groupPart is not null)
            gid = ResolveGroup(groupPart);

        var groups = new List<uint> { gid };
        if (entry is not null && groupPart is null)
        {
            foreach (var group in ReadEntries(groupPath))
            {
                if (group.Length >= 4 && group[3].Split(',').Contains(entry[0]) && uint.TryParse(group[2], out var extra) && !groups.Contains(extra))
                    groups.Add(extra);
            }
        }
        return new UserIdentity(uid, gid, groups, entry?[5]);
    }

    private uint ResolveGroup(string group)
    {
        if (uint.TryParse(group, out var gid))
            return gid;
        var entry = ReadEntries(groupPath).FirstOrDefault(e => e.Length >= 3 && e[0] == group)
            ?? throw new UserNotFoundException($"group {group} not found in {groupPath}");
        return ParseId(entry[2], groupPath);
    }

    private static List<string[]> ReadEntries(string path)
    {
        if (!File.Exists(path))
            return [];
        return File.ReadLines(path)
            .Where(line => line.Length > 0 && line[0] != '#')
            .Select(line => line.Split(':'))
            .ToList();
    }

    private static uint ParseId(string text, string path) =>
        uint.TryParse(text, out var id) ? id : throw new UserNotFoundException($"malformed id '{text}' in {path}");
}
