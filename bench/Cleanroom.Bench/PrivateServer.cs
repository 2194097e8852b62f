using System.Text.RegularExpressions;
using Cleanroom.HostProcesses;

namespace Cleanroom.Bench;

/// <summary>
/// A server of the bench's own (temp directories, its own nftables table, names, log group and address pool: 10.236
/// and up, outside the default pool, bench/run.sh's 10.234-235 and the end-to-end tests' 10.216-231), started with
/// <c>serve --detach</c> and stopped by the pid it runs under. The bench program starts these itself where a row needs
/// a server configured for it (listeners, authentication, telemetry), so <c>--only transport</c> needs none from run.sh.
/// </summary>
internal sealed partial class PrivateServer : IAsyncDisposable
{
    private readonly string _cleanroom;
    private readonly int _index;

    private PrivateServer(string cleanroom, string root, int index)
    {
        _cleanroom = cleanroom;
        Root = root;
        _index = index;
    }

    public string Root { get; }

    public string Socket => Path.Combine(Root, "run", "cleanroom", "cleanroom.sock");

    public string Table => $"cleanroom_benchp{Environment.ProcessId}_{_index}";

    private string NamePrefix => $"crp{_index}";

    /// <summary>Starts a server with <paramref name="configYaml"/> added to its network settings, listening also on <paramref name="listen"/>.</summary>
    public static async Task<PrivateServer> StartAsync(string cleanroom, int index, string configYaml, params string[] listen)
    {
        var server = new PrivateServer(cleanroom, Directory.CreateTempSubdirectory("cleanroom-bench-private-").FullName, index);
        Directory.CreateDirectory(Path.Combine(server.Root, "run"));
        Directory.CreateDirectory(Path.Combine(server.Root, "config", "cleanroom"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "config", "cleanroom", "config.yaml"),
            $"network:\n  table: {server.Table}\n  name_prefix: {server.NamePrefix}\n  nflog_group: {41000 + Environment.ProcessId % 10000 + index}\n"
            + $"  pool: 10.{236 + index}.0.0/16\n{configYaml}");
        List<string> serve = ["serve", "--detach"];
        if (listen.Length > 0)
            foreach (var address in (string[])["unix://" + server.Socket, .. listen]) serve.AddRange(["--listen", address]);
        try
        {
            server.Select();
            await Commands.RunAsync(cleanroom, [.. serve]);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes <c>cleanroom</c> commands started from now on (and this process's clients' defaults) use this server.</summary>
    public void Select()
    {
        Environment.SetEnvironmentVariable("XDG_RUNTIME_DIR", Path.Combine(Root, "run"));
        Environment.SetEnvironmentVariable("XDG_STATE_HOME", Path.Combine(Root, "state"));
        Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", Path.Combine(Root, "config"));
        Environment.SetEnvironmentVariable("CLEANROOM_HOST", "unix://" + Socket);
    }

    /// <summary>The first <c>https://</c> address the server logged that it listens on (the real port of a :0).</summary>
    public async Task<string> HttpsAddressAsync() =>
        HttpsAddress().Match(await File.ReadAllTextAsync(Path.Combine(Root, "state", "cleanroom", "server.log"))).Value is { Length: > 0 } address
            ? address
            : throw new InvalidOperationException("the server logged no https address");

    public async ValueTask DisposeAsync()
    {
        // The server's pid: the one process whose command line names this server's directories.
        var marker = $"ready-on-stdout\0{Root}/";
        foreach (var pid in ProcessTable.All().Where(p => string.Join('\0', p.Argv).Contains(marker, StringComparison.Ordinal)).Select(p => p.Pid))
        {
            var text = pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Commands.OutputAsync(false, "kill", "-TERM", text);
            await Commands.OutputAsync(false, "timeout", "60", "tail", $"--pid={text}", "-f", "/dev/null");
        }
        await Commands.OutputAsync(false, "nft", "delete", "table", "inet", Table);
        foreach (var line in (await Commands.OutputAsync(false, "ip", "netns", "list")).Split('\n'))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(NamePrefix + "-", StringComparison.Ordinal))
                await Commands.OutputAsync(false, "ip", "netns", "del", name);
        }
        Directory.Delete(Root, recursive: true);
    }

    [GeneratedRegex(@"https://127\.0\.0\.1:\d+")]
    private static partial Regex HttpsAddress();
}
