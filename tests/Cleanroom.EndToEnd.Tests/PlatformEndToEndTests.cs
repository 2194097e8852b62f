using System.Text.Json;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The gVisor platform as a user meets it: the server decides it at start (systrap on this project's hosts, or the
/// one the runtime config names), its sandboxes run on it, and <c>cleanroom doctor</c> says which and why.
/// </summary>
public sealed class PlatformEndToEndTests
{
    [Fact]
    public async Task By_default_sandboxes_run_on_systrap_and_doctor_says_so()
    {
        await using var server = await RealServer.StartAsync();
        await AssertPlatformAsync(server, "systrap", "a probe sandbox started under systrap");
    }

    [Fact]
    public async Task A_configured_ptrace_is_what_sandboxes_run_on_and_doctor_says_so()
    {
        await using var server = await RealServer.StartAsync(configYaml: "backends:\n  gvisor:\n    platform: ptrace\n");
        await AssertPlatformAsync(server, "ptrace", "backends.gvisor.platform is ptrace");
    }

    private static async Task AssertPlatformAsync(RealServer server, string platform, string reason)
    {
        var doctor = await server.CleanroomAsync("doctor", "--json");
        using (var json = JsonDocument.Parse(doctor.Stdout))
        {
            var gvisor = json.RootElement.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "gvisor");
            Assert.True(gvisor.GetProperty("usable").GetBoolean(), doctor.ToString());
            Assert.Equal(platform, gvisor.GetProperty("platform").GetString());
            Assert.Contains(reason, gvisor.GetProperty("platform_reason").GetString());
            Assert.StartsWith("runsc version 0.0~2024", gvisor.GetProperty("runsc_version").GetString());
        }

        var create = await server.CleanroomAsync("create", "--chdir", Path.Combine(Product.RepositoryRoot, "examples", "basic"));
        Assert.True(create.ExitCode == 0, create.ToString());
        var id = create.Stdout.Trim();
        var platforms = RunscPlatformsOf("cleanroom-" + id);
        Assert.NotEmpty(platforms);
        Assert.All(platforms, p => Assert.Equal(platform, p));
        var run = await server.CleanroomAsync("exec", "--in", id, "--", "sh", "-c", "ls -l /etc/passwd && stat -c %U /etc/passwd");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.EndsWith("root\n", run.Stdout);
        Assert.Equal(0, (await server.CleanroomAsync("sandbox", "rm", id)).ExitCode);
    }

    // The --platform of every live runsc process of the container (runsc run, the sandbox, the gofer).
    private static List<string> RunscPlatformsOf(string containerId)
    {
        var platforms = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // exited meanwhile
            }
            if (argv.Any(a => a.Contains(containerId, StringComparison.Ordinal)) && argv.FirstOrDefault(a => a.StartsWith("--platform=", StringComparison.Ordinal)) is { } flag)
                platforms.Add(flag["--platform=".Length..]);
        }
        return platforms;
    }
}
