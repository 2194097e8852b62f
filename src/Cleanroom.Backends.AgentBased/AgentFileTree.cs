using System.Runtime.CompilerServices;
using Cleanroom.Agent.Client;

namespace Cleanroom.Backends.AgentBased;

/// <summary>
/// <see cref="ISandboxFileTree"/> for any backend whose sandboxes run the guest agent: the agent's
/// ArchiveRead, ArchiveWrite and TreeManifest requests, with its entries turned into backend-neutral ones.
/// </summary>
public sealed class AgentFileTree(Func<AgentConnection> connection) : ISandboxFileTree
{
    public Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
        connection().ReadArchiveAsync(guestRoot, members, cancellationToken);

    public Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
        connection().WriteArchiveAsync(guestRoot, archive, cancellationToken);

    public async IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in connection().ReadTreeManifestAsync(guestRoot, excludedNames, maxEntries, cancellationToken).ConfigureAwait(false))
            yield return new GuestTreeEntry((GuestEntryKind)entry.Kind, entry.Path, entry.Mode, (long)entry.Size,
                entry.ModifiedUnixSeconds, entry.Hash, entry.LinkTarget);
    }
}
