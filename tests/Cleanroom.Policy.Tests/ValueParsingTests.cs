using Cleanroom.Policy.Rules;

namespace Cleanroom.Policy.Tests;

public sealed class ValueParsingTests
{
    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("1B", 1L)]
    [InlineData("512MiB", 536870912L)]
    [InlineData("8GiB", 8589934592L)]
    [InlineData("1TiB", 1099511627776L)]
    [InlineData("2KiB", 2048L)]
    [InlineData("16GB", 16000000000L)]
    [InlineData("3KB", 3000L)]
    [InlineData("1TB", 1000000000000L)]
    [InlineData("8388607TiB", 8388607L << 40)]
    public void Sizes_use_binary_and_decimal_units_as_named(string text, long bytes) =>
        Assert.Equal(bytes, ByteSize.Parse(text, out _));

    [Theory]
    [InlineData("0", "zero")]
    [InlineData("-5MiB", "negative")]
    [InlineData("8388608TiB", "too large")]
    [InlineData("99999999999999999999", "too large")]
    [InlineData("1.5GiB", "whole number")]
    [InlineData("8gb", "unknown unit")]
    [InlineData("8G", "unknown unit")]
    [InlineData("GiB", "whole number")]
    public void Bad_sizes_say_what_is_wrong(string text, string message)
    {
        Assert.Null(ByteSize.Parse(text, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "alpine", null)]
    [InlineData("docker.io/library/alpine:3.20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "docker.io/library/alpine", "3.20")]
    [InlineData("localhost:5000/a/b__c.d-e@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "localhost:5000/a/b__c.d-e", null)]
    [InlineData("Registry.Example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Registry.Example.com/app", null)]
    public void Digest_pinned_references_parse(string text, string name, string? tag)
    {
        var image = ImageReference.Parse(text, out var error);
        Assert.True(image is not null, error);
        Assert.Equal(name, image.Name);
        Assert.Equal(tag, image.Tag);
        Assert.Equal("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", image.Digest);
    }

    [Theory]
    [InlineData("/workspace", "/workspace")]
    [InlineData("/workspace/", "/workspace")]
    [InlineData("//src/./app//", "/src/app")]
    public void Repository_paths_normalize(string raw, string expected) =>
        Assert.Equal(expected, GuestPath.NormalizeRepositoryPath(raw, out _));

    [Theory]
    [InlineData("node_modules", "/workspace/node_modules")]
    [InlineData("./build/", "/workspace/build")]
    [InlineData("${WORKSPACE}/out", "/workspace/out")]
    [InlineData("~/.cache", "${HOME}/.cache")]
    [InlineData("$HOME/.cache", "${HOME}/.cache")]
    [InlineData("/var/cache/apt", "/var/cache/apt")]
    public void Output_paths_resolve_to_one_spelling(string raw, string expected) =>
        Assert.Equal(expected, WorkloadPaths.NormalizeOutput(raw, "/workspace", out _));
}
