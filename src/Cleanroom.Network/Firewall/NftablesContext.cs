using System.Runtime.InteropServices;
using Cleanroom.Network.Interop;

namespace Cleanroom.Network;

/// <summary>
/// One libnftables context that applies scripts in this process: the same parser and the same single netlink
/// transaction per script as <c>nft -f -</c>, without starting a program for each (a stage switch between two setup
/// blocks, a sandbox's firewall at create). Not thread-safe: <see cref="Firewall"/> serialises every use.
/// </summary>
internal sealed class NftablesContext : IDisposable
{
    private nint _ctx;

    private NftablesContext(nint ctx) => _ctx = ctx;

    /// <summary>A context with output and errors captured; null when libnftables cannot be loaded here.</summary>
    public static NftablesContext? TryOpen()
    {
        nint ctx;
        try
        {
            ctx = LibNftables.NftCtxNew(LibNftables.NFT_CTX_DEFAULT);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (ctx == 0)
            return null;
        LibNftables.NftCtxBufferOutput(ctx);
        LibNftables.NftCtxBufferError(ctx);
        return new NftablesContext(ctx);
    }

    /// <summary>Applies <paramref name="script"/> as one transaction; null on success, else what libnftables said.</summary>
    public string? Apply(string script)
    {
        ObjectDisposedException.ThrowIf(_ctx == 0, this);
        if (LibNftables.NftRunCmdFromBuffer(_ctx, script) == 0)
            return null;
        return Marshal.PtrToStringUTF8(LibNftables.NftCtxGetErrorBuffer(_ctx)) is { Length: > 0 } error ? error.Trim() : "libnftables refused the script";
    }

    public void Dispose()
    {
        var ctx = Interlocked.Exchange(ref _ctx, 0);
        if (ctx != 0)
            LibNftables.NftCtxFree(ctx);
    }
}
