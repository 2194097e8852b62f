using System.Diagnostics;

namespace Cleanroom.Server.Tests.Egress;

/// <summary>A fact that needs root and the real nftables and iproute2 tools; skipped with the reason otherwise.</summary>
public sealed class HostNetworkFactAttribute : FactAttribute
{
    public HostNetworkFactAttribute()
    {
        if (Environment.UserName != "root")
            Skip = "needs root (network namespaces and nftables)";
        else if (!File.Exists("/usr/sbin/nft") || !File.Exists("/usr/sbin/ip"))
            Skip = "needs nft and ip (apt-get install nftables iproute2)";
    }
}

/// <summary>Runs ip and nft to look at (and set up) what the tests check, independently of the code under test.</summary>
internal static class HostTool
{
    public static async Task<(int ExitCode, string Stdout)> RunAsync(params string[] argv)
    {
        var info = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await stdout);
    }
}
