using System.Diagnostics;

namespace Cleanroom.Cli.Tests;

/// <summary>
/// <c>serve install</c> writes a unit that systemd's own checker accepts (<c>systemd-analyze verify</c>, which needs no
/// running systemd), pinned to the installer's data and config directories, and refuses to overwrite one without
/// <c>--force</c>. Only a test directory is written (<c>--unit-dir</c>, <c>--no-enable</c>): never the host's systemd.
/// </summary>
public sealed class ServeInstallTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private Dictionary<string, string> Environment => new()
    {
        ["HOME"] = _root.Path,
        ["XDG_DATA_HOME"] = Path.Combine(_root.Path, "data"),
        ["XDG_CONFIG_HOME"] = Path.Combine(_root.Path, "config"),
    };

    [Fact]
    public async Task The_unit_passes_systemd_analyze_verify_and_runs_serve_with_the_installers_directories()
    {
        var units = Path.Combine(_root.Path, "units");

        var run = await CliRun.InvokeAsync(_root.Path, Environment, "serve", "install", "--unit-dir", units, "--no-enable", "--listen", "https://127.0.0.1:8443");

        Assert.True(run.ExitCode == 0, run.Error);
        var unit = await File.ReadAllTextAsync(Path.Combine(units, "cleanroom.service"));
        Assert.Contains($"serve --listen \"https://127.0.0.1:8443\"", unit);
        Assert.Contains($"\"XDG_DATA_HOME={Path.Combine(_root.Path, "data")}\"", unit);
        Assert.Contains($"\"XDG_CONFIG_HOME={Path.Combine(_root.Path, "config")}\"", unit);
        Assert.Contains("\"XDG_STATE_HOME=/var/lib\"", unit);
        Assert.Contains("KillMode=process", unit);
        Assert.Contains("Type=notify", unit);
        var (code, output) = await VerifyAsync(Path.Combine(units, "cleanroom.service"));
        Assert.True(code == 0 && output.Trim().Length == 0, $"systemd-analyze verify: exit {code}: {output}");
    }

    [Fact]
    public async Task An_existing_unit_is_kept_unless_forced()
    {
        var units = Directory.CreateDirectory(Path.Combine(_root.Path, "units")).FullName;
        var path = Path.Combine(units, "cleanroom.service");
        await File.WriteAllTextAsync(path, "# the operator's own unit\n");

        var refused = await CliRun.InvokeAsync(_root.Path, Environment, "serve", "install", "--unit-dir", units, "--no-enable");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("invalid_argument", refused.Error);
        Assert.Equal("# the operator's own unit\n", await File.ReadAllTextAsync(path));

        var forced = await CliRun.InvokeAsync(_root.Path, Environment, "serve", "install", "--unit-dir", units, "--no-enable", "--force");
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.StartsWith("[Unit]", await File.ReadAllTextAsync(path));
    }

    /// <summary>systemd's checker on the unit file: it prints a line for every setting it cannot parse.</summary>
    private static async Task<(int, string)> VerifyAsync(string unitFile)
    {
        var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "verify", "--man=no", unitFile })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
