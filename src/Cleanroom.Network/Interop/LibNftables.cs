using System.Runtime.InteropServices;

namespace Cleanroom.Network.Interop;

/// <summary>
/// The entry points of libnftables (the library the <c>nft</c> program is a thin shell around, Debian's
/// <c>libnftables1</c>, installed with <c>nftables</c>) that apply a script in-process. Only
/// <see cref="NftablesContext"/> calls them. Naming as in Interop/LibC.cs: C name in PascalCase, explicit EntryPoint.
/// </summary>
internal static partial class LibNftables
{
    private const string Lib = "libnftables.so.1";

    internal const uint NFT_CTX_DEFAULT = 0;

    [LibraryImport(Lib, EntryPoint = "nft_ctx_new")]
    internal static partial nint NftCtxNew(uint flags);

    [LibraryImport(Lib, EntryPoint = "nft_ctx_free")]
    internal static partial void NftCtxFree(nint ctx);

    [LibraryImport(Lib, EntryPoint = "nft_ctx_buffer_output")]
    internal static partial int NftCtxBufferOutput(nint ctx);

    [LibraryImport(Lib, EntryPoint = "nft_ctx_buffer_error")]
    internal static partial int NftCtxBufferError(nint ctx);

    [LibraryImport(Lib, EntryPoint = "nft_ctx_get_error_buffer")]
    internal static partial nint NftCtxGetErrorBuffer(nint ctx);

    [LibraryImport(Lib, EntryPoint = "nft_run_cmd_from_buffer", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int NftRunCmdFromBuffer(nint ctx, string buffer);
}
