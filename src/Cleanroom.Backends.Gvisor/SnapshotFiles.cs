namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// What a gVisor snapshot directory holds: <c>checkpoint/</c>, a copy of a suspended sandbox's runsc checkpoint (its
/// memory, processes and writable layer). Copied, not moved: the suspended sandbox keeps its own and can still wake.
/// </summary>
internal static class SnapshotFiles
{
    public static string CheckpointOf(string snapshotDirectory) => Path.Combine(snapshotDirectory, "checkpoint");

    public static async Task WriteAsync(SandboxLayout layout, string snapshotDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(layout.CheckpointDirectory))
            throw new Errors.CleanroomException(Errors.ErrorCode.InvalidArgument, $"sandbox {layout.SandboxId} has no checkpoint to snapshot");
        var target = Directory.CreateDirectory(CheckpointOf(snapshotDirectory)).FullName;
        foreach (var file in Directory.EnumerateFiles(layout.CheckpointDirectory))
        {
            await using var source = File.OpenRead(file);
            await using var copy = new FileStream(Path.Combine(target, Path.GetFileName(file)), new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead,
            });
            await source.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        }
    }
}
