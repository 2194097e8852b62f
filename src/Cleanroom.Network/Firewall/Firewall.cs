using Cleanroom.Errors;

namespace Cleanroom.Network;

/// <summary>
/// Applies <see cref="FirewallScript"/> scripts with <c>nft -f -</c> (one transaction each) and reads the
/// table back with <c>nft -j</c>. Scripts are serialised here: nft transactions are atomic on their own,
/// but the add/delete/add refresh of one answer must not interleave with a stage switch's flush.
/// </summary>
internal sealed class Firewall(CommandRunner commands, FirewallScript scripts, string table, string linkPrefix)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public FirewallScript Scripts => scripts;

    public async Task ApplyAsync(string script, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await commands.RunAsync(["nft", "-f", "-"], script, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
                throw new CleanroomException(ErrorCode.NetworkSetupFailed,
                    $"nft rejected a ruleset change for table inet {table}: {CommandRunner.Tail(result.Stderr)}");
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
