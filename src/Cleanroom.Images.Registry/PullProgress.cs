namespace Cleanroom.Images.Registry;

/// <summary>
/// How one blob of a pull is going: enough for a progress bar per layer and for sandbox events. Reported when
/// a blob is found present, as bytes arrive (throttled), and when it is verified.
/// </summary>
/// <param name="Blob">The layer (or config) digest.</param>
/// <param name="Kind">"layer" or "config".</param>
/// <param name="BytesDone">Bytes held so far, including any resumed from an earlier attempt.</param>
/// <param name="BytesTotal">The blob's size from its descriptor.</param>
public sealed record PullProgress(Digest Blob, string Kind, long BytesDone, long BytesTotal, PullStage Stage);

public enum PullStage
{
    /// <summary>Already in the store; nothing to download.</summary>
    Present,

    /// <summary>Bytes are arriving.</summary>
    Downloading,

    /// <summary>All bytes arrived and their digest is the descriptor's.</summary>
    Verified,
}
