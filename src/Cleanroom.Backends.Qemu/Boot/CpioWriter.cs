using System.Text;

namespace Cleanroom.Backends.Qemu.Boot;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs. Written here rather than
/// by the cpio tool so that device nodes need no mknod, nothing depends on the host's file owners, and the
/// same inputs always give the same bytes (inode numbers count up, every time is zero).
/// </summary>
internal sealed class CpioWriter(Stream output)
{
    private const int HeaderLength = 110;
    private const uint TypeDirectory = 0x4000, TypeRegular = 0x8000, TypeSymlink = 0xa000, TypeCharacterDevice = 0x2000;
    private uint _nextInode = 1;
    private long _position;

    public void Directory(string path, uint permissions = 0x1ed /* 0755 */) =>
        Entry(path, TypeDirectory | permissions, nlink: 2, ReadOnlySpan<byte>.Empty, 0, 0);

    public void File(string path, ReadOnlySpan<byte> content, uint permissions) =>
        Entry(path, TypeRegular | permissions, nlink: 1, content, 0, 0);

    public void Symlink(string path, string target) =>
        Entry(path, TypeSymlink | 0x1ff /* 0777 */, nlink: 1, Encoding.UTF8.GetBytes(target), 0, 0);

    public void CharacterDevice(string path, uint permissions, uint major, uint minor) =>
        Entry(path, TypeCharacterDevice | permissions, nlink: 1, ReadOnlySpan<byte>.Empty, major, minor);

    /// <summary>The end-of-archive marker; nothing may be written after it.</summary>
    public void Finish() => Entry("TRAILER!!!", 0, nlink: 1, ReadOnlySpan<byte>.Empty, 0, 0, inode: 0);

    private void Entry(string path, uint mode, uint nlink, ReadOnlySpan<byte> content, uint rdevMajor, uint rdevMinor, uint? inode = null)
    {
        if (path.StartsWith('/') || path.Length == 0)
            throw new ArgumentException($"cpio paths are relative to the archive root: '{path}'", nameof(path));
        var name = Encoding.UTF8.GetBytes(path + "\0");
        var header = new StringBuilder(HeaderLength).Append("070701");
        foreach (var field in new[]
                 {
                     inode ?? _nextInode++, mode, 0u /* uid */, 0u /* gid */, nlink, 0u /* mtime */, (uint)content.Length,
                     0u, 0u /* dev */, rdevMajor, rdevMinor, (uint)name.Length, 0u /* check */,
                 })
            header.Append(field.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(name);
        Pad();
        Write(content);
        Pad();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        _position += bytes.Length;
    }

    // Headers and file data each start on a 4-byte boundary.
    private void Pad()
    {
        Span<byte> zeros = stackalloc byte[4];
        zeros.Clear();
        var padding = (int)((4 - _position % 4) % 4);
        Write(zeros[..padding]);
    }
}
