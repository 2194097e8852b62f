using System.Formats.Tar;
using System.Text;
using Cleanroom.Backends.AgentBased;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu.Sandbox;

/// <summary>
/// Puts the attachment's guest files (<see cref="NetworkAttachment.GuestFiles"/>, such as the host gateway's
/// <c>/etc/gitconfig</c>) into a freshly booted VM through the agent's archive write, before the sandbox is handed out:
/// root-owned, mode 0444. Inside a VM the guest's root could change them anyway (gVisor bind-mounts them read-only);
/// they are a convenience the host's own enforcement never relies on. The kernel command line (which carries
/// resolv.conf) is too small for a file that grows with the policy.
/// </summary>
internal static class GuestFileWriter
{
    private const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static async Task WriteAsync(AgentSandbox sandbox, IReadOnlyDictionary<string, string> files, CancellationToken cancellationToken)
    {
        foreach (var (guestPath, content) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var directory = Path.GetDirectoryName(guestPath);
            if (!guestPath.StartsWith('/') || directory is null || Path.GetFileName(guestPath) is not { Length: > 0 } name)
                throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"guest file {guestPath} is not an absolute file path");
            using var archive = new MemoryStream();
            await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = ReadOnly,
                    Uid = 0,
                    Gid = 0,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                };
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }

            archive.Position = 0;
            try
            {
                await sandbox.WriteArchiveAsync(directory, archive, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not CleanroomException)
            {
                throw new CleanroomException(ErrorCode.RuntimeLaunchFailed, $"cannot write {guestPath} in the guest: {e.Message}", e);
            }
        }
    }
}
