using System.Runtime.InteropServices;

namespace Cleanroom.Api.Interop;

/// <summary>
/// geteuid, which .NET has no API for: the default socket path depends on it (root's lives in /run). Declared once
/// here; the server's socket hygiene (Cleanroom.Api) uses the same declaration.
/// </summary>
internal static partial class EffectiveUser
{
    /// <summary>The effective uid of this process.</summary>
    public static uint Id => GetEUid();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEUid();
}
