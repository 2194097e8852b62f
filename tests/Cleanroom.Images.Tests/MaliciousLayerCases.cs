using System.Formats.Tar;

namespace Cleanroom.Images.Tests;

/// <summary>
/// Single tarballs that try to escape or smuggle privilege, each with the entry that must be named in the
/// refusal and a piece of the reason. <paramref name="outside"/> is the canary directory beside the target.
/// </summary>
public static class MaliciousLayerCases
{
    public static readonly string[] Names =
    [
        "dot-dot", "absolute", "symlink-to-root-then-write", "symlink-to-sibling-then-write", "symlink-up-then-write",
        "symlink-then-directory", "hardlink-absolute", "hardlink-dot-dot", "hardlink-to-later-entry", "hardlink-to-directory",
        "char-device", "block-device", "setuid", "setgid", "nul-in-name", "overlong-component", "directory-replaced-by-file",
    ];

    public static TheoryData<string> All() => new(Names);

    public static (TarBuilder Tar, string Entry, string Reason) Build(string name, string outside) => name switch
    {
        "dot-dot" => (new TarBuilder().File("../escape", "x"), "../escape", "\"..\""),
        "absolute" => (new TarBuilder().File("/abs/path", "x"), "/abs/path", "absolute"),
        "symlink-to-root-then-write" => (
            new TarBuilder().Symlink("link", "/").File("link/etc/x", "x"), "link/etc/x", "symlink"),
        "symlink-to-sibling-then-write" => (
            new TarBuilder().Symlink("link", outside).File("link/x", "x"), "link/x", "symlink"),
        "symlink-up-then-write" => (
            new TarBuilder().Directory("a").Symlink("a/up", "../../..").File("a/up/outside/x", "x"), "a/up/outside/x", "symlink"),
        "symlink-then-directory" => (
            new TarBuilder().Symlink("link", outside).Directory("link/sub"), "link/sub", "symlink"),
        "hardlink-absolute" => (new TarBuilder().HardLink("passwd", "/etc/passwd"), "passwd", "absolute"),
        "hardlink-dot-dot" => (new TarBuilder().HardLink("h", "../outside/x"), "h", "\"..\""),
        "hardlink-to-later-entry" => (new TarBuilder().HardLink("h", "later").File("later", "x"), "h", "later"),
        "hardlink-to-directory" => (new TarBuilder().Directory("etc").HardLink("h", "etc"), "h", "only regular files"),
        "char-device" => (new TarBuilder().Directory("dev").Device("dev/null", TarEntryType.CharacterDevice), "dev/null", "character device"),
        "block-device" => (new TarBuilder().Directory("dev").Device("dev/sda", TarEntryType.BlockDevice), "dev/sda", "block device"),
        "setuid" => (new TarBuilder().File("usr/bin/x", "", (UnixFileMode)0b100_111_101_101), "usr/bin/x", "setuid bit on usr/bin/x"),
        "setgid" => (new TarBuilder().File("usr/bin/y", "", (UnixFileMode)0b010_111_101_101), "usr/bin/y", "setgid bit on usr/bin/y"),
        "nul-in-name" => (new TarBuilder().File("usr/bin/a\0b", "x"), "usr/bin/a\\x00b", "NUL"),
        "overlong-component" => (new TarBuilder().File("d/" + new string('a', 300), "x"), "d/aaaa", "longer than 255"),
        "directory-replaced-by-file" => (
            new TarBuilder().Directory("etc").File("etc/x").File("etc", "x"), "etc", "replaces the directory"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
