using System.Diagnostics;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// <c>cleanroom serve --detach</c> with its own socket, state, config and cache (the host's image store is shared:
/// setup imported the default images there, unless the test asks for an image store of its own), driven through the
/// real CLI. Disposal removes every sandbox, stops the server and deletes its directories.
/// </summary>
public sealed class RealServer : IAsyncDisposable
{
    private RealServer(string root, string table, bool ownImageStore)
    {
        Root = root;
        Table = table;
        var environment = new Dictionary<string, string>
        {
            ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
            ["XDG_STATE_HOME"] = Path.Combine(root, "state"),
            ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
            ["XDG_CACHE_HOME"] = Path.Combine(root, "cache"),
        };
        if (ownImageStore)
        {
            environment["XDG_DATA_HOME"] = Path.Combine(root, "data");
        }

        Environment = environment;
    }

    public string Root { get; }

    /// <summary>What <c>serve --detach</c> said on stderr (where the server runs, where it logs).</summary>
    public string DetachMessage { get; private set; } = "";

    /// <summary>This server's own nftables table: a server leaves its table in place on exit (see Cleanroom.Network), so the test removes it.</summary>
    public string Table { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The server's default socket (under its XDG_RUNTIME_DIR).</summary>
    public string Socket => Path.Combine(Root, "run", "cleanroom", "cleanroom.sock");

    /// <summary>The server's log (serve --detach writes it under the state directory).</summary>
    public string LogFile => Path.Combine(Root, "state", "cleanroom", "server.log");

    public string RunscRoot => Path.Combine(Root, "run", "cleanroom", "runsc");

    /// <summary>The image store (an OCI layout) of a server started with its own store.</summary>
    public string ImageStoreRoot => Path.Combine(Root, "data", "cleanroom", "images");

    /// <param name="networkYaml">Extra lines under <c>network:</c> (indented two spaces).</param>
    /// <param name="configYaml">Extra top-level sections of the runtime config (e.g. <c>images:</c>).</param>
    /// <param name="ownImageStore">An empty image store of its own (XDG_DATA_HOME), so what the test pulls never reaches the host's.</param>
    /// <param name="warmPool">
    /// Spare sandboxes the server keeps (<c>warm_pool.size</c>). Off unless a test is about the pool: on a 2-core
    /// host a spare starting beside every test's sandbox only makes the suite slower.
    /// </param>
    /// <param name="listen">
    /// Extra <c>--listen</c> addresses; given any, the server's own socket (<see cref="Socket"/>) is listed first, as
    /// <c>serve</c> then listens only where it is told.
    /// </param>
    public static async Task<RealServer> StartAsync(string networkYaml = "", string configYaml = "", bool ownImageStore = false, int warmPool = 0,
        IReadOnlyList<string>? listen = null)
    {
        Product.RequireSetUp();
        // Its own table, names, log group and pool: a user's server may be running on this host at the same time, and
        // so may another run of this suite. A /20 (1,024 links) is plenty for one test server; 256 of them in
        // 10.216-231 keep two suites' servers from drawing the same addresses (two resolvers on one address:53).
        var unique = Random.Shared.Next(0x1000);
        var server = new RealServer(Directory.CreateTempSubdirectory("cleanroom-e2e-").FullName, $"cleanroom_e2e{unique:x3}", ownImageStore);
        configYaml = $"network:\n  table: {server.Table}\n  name_prefix: cre{unique:x3}\n  nflog_group: {20000 + unique}\n"
            + $"  pool: 10.{216 + (unique >> 4) % 16}.{(unique & 0xf) << 4}.0/20\n{networkYaml}warm_pool:\n  size: {warmPool}\n{configYaml}";
        Directory.CreateDirectory(Path.Combine(server.Root, "run"));
        Directory.CreateDirectory(Path.Combine(server.Root, "config", "cleanroom"));
        await File.WriteAllTextAsync(Path.Combine(server.Root, "config", "cleanroom", "config.yaml"), configYaml);
        List<string> serve = ["serve", "--detach"];
        if (listen is { Count: > 0 })
            foreach (var address in (string[])["unix://" + server.Socket, .. listen]) serve.AddRange(["--listen", address]);
        var started = await server.CleanroomAsync([.. serve]);
        if (started.ExitCode != 0)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"serve --detach failed: {started}");
        }
        server.DetachMessage = started.Stderr;

        return server;
    }

    public Task<ProgramResult> CleanroomAsync(params string[] args) =>
        Shell.RunAsync([Product.Cleanroom, .. args], Environment);

    /// <summary>Kills the server with SIGKILL (no cleanup of its own), as a crash would.</summary>
    public async Task KillAsync()
    {
        foreach (var process in ServerProcesses())
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public IEnumerable<Process> ServerProcesses() =>
        Process.GetProcesses().Where(p =>
        {
            try
            {
                return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains($"ready-on-stdout\0{Root}/", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }).ToList();

    /// <summary>
    /// Removes every live sandbox: what a test sharing this server (<see cref="SharedServer"/>) does when it ends, so
    /// that the next test finds the server as it was.
    /// </summary>
    public async Task RemoveSandboxesAsync()
    {
        var list = await CleanroomAsync("sandbox", "ls", "--json");
        foreach (var id in System.Text.RegularExpressions.Regex.Matches(list.Stdout, "\"sandbox_id\":\\s*\"([^\"]+)\"").Select(m => m.Groups[1].Value))
        {
            await CleanroomAsync("sandbox", "rm", id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RemoveSandboxesAsync();
        }
        finally
        {
            foreach (var process in ServerProcesses())
            {
                await Shell.RunAsync(["kill", "-TERM", process.Id.ToString()]);
                await process.WaitForExitAsync();
            }

            await Shell.RunAsync(["nft", "delete", "table", "inet", Table]);
            // A server that died before removing a sandbox leaves its namespace: names carry this server's prefix.
            var prefix = "cre" + Table[^3..] + "-";
            foreach (var name in (await Shell.RunAsync(["ip", "netns", "list"])).Stdout.Split('\n').Select(l => l.Split(' ')[0]))
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                    await Shell.RunAsync(["ip", "netns", "del", name]);
            }

            Directory.Delete(Root, recursive: true);
        }
    }
}
