namespace Cleanroom.Backends;

/// <summary>
/// A suspended sandbox whose state its backend can copy out as a snapshot: a directory that
/// <see cref="SandboxSpec.SnapshotDirectory"/> later names to start new sandboxes from it. The sandbox itself stays
/// suspended and untouched.
/// </summary>
public interface ISnapshotSource
{
    /// <summary>Writes the snapshot's files into <paramref name="directory"/> (empty, made by the caller).</summary>
    Task WriteSnapshotAsync(string directory, CancellationToken cancellationToken);
}
