namespace Cleanroom.Backends;

/// <summary>
/// Whole-tree file operations on a sandbox (workspace materialisation, copy-out, <c>cleanroom cp</c>),
/// implemented by the provisioned sandboxes of backends claiming <see cref="CapabilityNames.FileTree"/>.
/// Archives are PAX tars; everything coming out of a sandbox is untrusted and must be unpacked with
/// the host-side safety checks.
/// </summary>
public interface ISandboxFileTree
{
    /// <summary>A tar of <paramref name="members"/> (relative to <paramref name="guestRoot"/>; empty = all), entries named relative to the root.</summary>
    Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken);

    /// <summary>Unpacks <paramref name="archive"/> under <paramref name="guestRoot"/>; entries marked for deletion remove their path.</summary>
    Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken);

    /// <summary>The tree under <paramref name="guestRoot"/>, root first, at most <paramref name="maxEntries"/> entries (else <c>too_large</c>).</summary>
    IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, CancellationToken cancellationToken);
}
