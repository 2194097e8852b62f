namespace Cleanroom.Images.Registry;

/// <summary>
/// How one blob of a pull is going: enough for a progress bar per layer and for sandbox events. Reported for
/// every blob once the manifest is known, when a blob is found present, as bytes arrive (every MiB), and when
/// it is verified.
/// </summary>
/// <param name="Blob">The layer (or config) digest.</param>
/// <param name="Kind">"layer" or "config".</param>
/// <param name="BytesDone">Bytes held so far, including any resumed from an earlier attempt.</param>
/// <param name="BytesTotal">The blob's size from its descriptor.</param>
public sealed record PullProgress(Digest Blob, string Kind, long BytesDone, long BytesTotal, PullStage Stage);

public enum PullStage
{
    /// <summary>
    /// Part of the image: reported for every blob of the manifest, in manifest order (config first, then the
    /// layers bottom first), before any download starts, so a view knows the whole pull up front.
    /// </summary>
    Queued,

    /// <summary>Already in the store; nothing to download.</summary>
    Present,

    /// <summary>Bytes are arriving.</summary>
    Downloading,

    /// <summary>All bytes arrived and their digest is the descriptor's.</summary>
    Verified,
}
