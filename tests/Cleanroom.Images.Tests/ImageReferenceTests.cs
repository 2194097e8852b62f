using Cleanroom.Errors;

namespace Cleanroom.Images.Tests;

public sealed class ImageReferenceTests
{
    private const string Hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox", null)]
    [InlineData("busybox:1.36", "docker.io/library/busybox", "1.36")]
    [InlineData("library/busybox", "docker.io/library/busybox", null)]
    [InlineData("index.docker.io/library/busybox", "docker.io/library/busybox", null)]
    [InlineData("me/tool:dev", "docker.io/me/tool", "dev")]
    [InlineData("ghcr.io/buildkite/cleanroom-base/alpine:latest", "ghcr.io/buildkite/cleanroom-base/alpine", "latest")]
    [InlineData("localhost:5000/app", "localhost:5000/app", null)]
    [InlineData("localhost/app", "localhost/app", null)]
    public void Names_are_normalised_the_way_docker_does(string text, string name, string? tag)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(name, reference.Name);
        Assert.Equal(tag, reference.Tag);
        Assert.Null(reference.Digest);
    }

    [Fact]
    public void A_policy_style_pinned_reference_keeps_its_tag_and_digest()
    {
        var reference = ImageReference.Parse($"ghcr.io/buildkite/cleanroom-base/alpine:3.20@sha256:{Hex}");

        Assert.Equal("ghcr.io/buildkite/cleanroom-base/alpine", reference.Name);
        Assert.Equal("3.20", reference.Tag);
        Assert.Equal($"sha256:{Hex}", reference.Digest.ToString());
        Assert.Equal($"ghcr.io/buildkite/cleanroom-base/alpine:3.20@sha256:{Hex}", reference.ToString());
    }

    [Theory]
    [InlineData("Busybox", "lowercase")]
    [InlineData("busybox:", "tag")]
    [InlineData("busybox:-x", "tag")]
    [InlineData("busybox@sha256:abc", "64")]
    [InlineData("busybox@md5:0123", "sha256")]
    [InlineData("a//b", "component")]
    [InlineData("", "empty")]
    [InlineData("bad name", "white space")]
    public void Malformed_references_are_refused_with_the_reason(string text, string reason)
    {
        var error = Assert.Throws<CleanroomException>(() => ImageReference.Parse(text));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Uppercase_digest_hex_is_refused_like_the_policy_does()
    {
        var error = Assert.Throws<CleanroomException>(() => Digest.Parse("sha256:" + Hex.ToUpperInvariant()));

        Assert.Contains("lowercase", error.Message);
    }
}
