namespace Cleanroom.Images.Interop;

/// <summary>What a path is, as lstat sees it: a symlink is a symlink, never what it points to.</summary>
internal enum FileKind
{
    Missing,
    Directory,
    RegularFile,
    Symlink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}
