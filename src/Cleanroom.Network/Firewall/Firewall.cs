using Cleanroom.Errors;

namespace Cleanroom.Network;

/// <summary>
/// Applies <see cref="FirewallScript"/> scripts through libnftables in this process (one transaction each, exactly as
/// <c>nft -f -</c> would, without a program start per script) and reads the table back with <c>nft -j</c>. Scripts are
/// serialised here: transactions are atomic on their own, but the add/delete/add refresh of one answer must not
/// interleave with a stage switch's flush, and a libnftables context is not thread-safe.
/// </summary>
internal sealed class Firewall(CommandRunner commands, FirewallScript scripts, string table, string linkPrefix) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NftablesContext? _nftables;

    public FirewallScript Scripts => scripts;

    public async Task ApplyAsync(string script, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Fail closed: without the library there is no way to install rules, so nothing may start.
            _nftables ??= NftablesContext.TryOpen() ?? throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                "libnftables.so.1 cannot be loaded (Debian: apt-get install nftables); egress cannot be enforced");
            if (_nftables.Apply(script) is { } error)
                throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                    $"nftables rejected a ruleset change for table inet {table}: {CommandRunner.Tail(error)}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Wait();
        try
        {
            _nftables?.Dispose();
            _nftables = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<FirewallState> ReadAsync(CancellationToken cancellationToken)
    {
        var result = await commands.RunAsync(["nft", "-j", "list", "table", "inet", table], null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (result.Stderr.Contains("No such file or directory", StringComparison.Ordinal))
                return FirewallState.Missing(linkPrefix);
            result.EnsureSuccess();
        }
        return FirewallState.Parse(result.Stdout, linkPrefix);
    }
}
