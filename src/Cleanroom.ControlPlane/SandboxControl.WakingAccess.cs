using System.Runtime.CompilerServices;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

public sealed partial class SandboxControl
{
    /// <summary>
    /// A sandbox's trees and ports as the API layer holds them: every call wakes the sandbox first if it is SUSPENDED
    /// (and marks it used), then goes to the running handle of the moment, so a suspend between two calls is harmless.
    /// </summary>
    private sealed class WakingAccess(SandboxControl control, LiveSandbox live) : ISandboxFileTree, ISandboxPorts
    {
        public async Task<Stream> ReadArchiveAsync(string guestRoot, IReadOnlyList<string> members, CancellationToken cancellationToken) =>
            await (await TreeAsync("woken for a file copy", cancellationToken).ConfigureAwait(false))
                .ReadArchiveAsync(guestRoot, members, cancellationToken).ConfigureAwait(false);

        public async Task<long> WriteArchiveAsync(string guestRoot, Stream archive, CancellationToken cancellationToken) =>
            await (await TreeAsync("woken for a file copy", cancellationToken).ConfigureAwait(false))
                .WriteArchiveAsync(guestRoot, archive, cancellationToken).ConfigureAwait(false);

        public async IAsyncEnumerable<GuestTreeEntry> ListTreeAsync(
            string guestRoot, IReadOnlyList<string> excludedNames, uint maxEntries, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var tree = await TreeAsync("woken for a workspace listing", cancellationToken).ConfigureAwait(false);
            await foreach (var entry in tree.ListTreeAsync(guestRoot, excludedNames, maxEntries, cancellationToken).ConfigureAwait(false))
                yield return entry;
        }

        public async Task<SandboxPortConnection> ConnectPortAsync(ushort port, CancellationToken cancellationToken)
        {
            var handle = await control.AwakeAsync(live, "woken for a port connection", cancellationToken).ConfigureAwait(false);
            var connection = await (handle as ISandboxPorts ?? throw Mismatch("connect to ports")).ConnectPortAsync(port, cancellationToken).ConfigureAwait(false);
            // Counted while open: a sandbox with a live port connection is never idle.
            Interlocked.Increment(ref live.OpenPortConnections);
            return new SandboxPortConnection(connection.Stream, connection.ShutdownWriteAsync, () =>
            {
                Interlocked.Decrement(ref live.OpenPortConnections);
                live.LastUsedTicks = control._time.GetTimestamp();
            });
        }

        private async Task<ISandboxFileTree> TreeAsync(string reason, CancellationToken cancellationToken) =>
            await control.AwakeAsync(live, reason, cancellationToken).ConfigureAwait(false) as ISandboxFileTree ?? throw Mismatch("copy file trees");

        private CleanroomException Mismatch(string what) =>
            new(ErrorCode.BackendCapabilityMismatch, $"sandbox {live.Id}'s backend cannot {what}");
    }
}
