using System.Text;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Policy;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>bump-ref rewrites the digest of sandbox.image.ref and not one other byte of the policy.</summary>
public sealed class PolicyImageBumpTests : IDisposable
{
    private const string OldDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private const string NewDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private static Task<Digest> Resolver(ImageReference reference, CancellationToken cancellationToken) =>
        Task.FromResult(Digest.Parse(NewDigest));

    private string Write(string text, bool bom = false)
    {
        var path = Path.Combine(scratch.Root, "cleanroom.yaml");
        File.WriteAllBytes(path, [.. (bom ? Encoding.UTF8.Preamble.ToArray() : []), .. Encoding.UTF8.GetBytes(text)]);
        return path;
    }

    private static string Policy(string reference, string newline = "\n") => string.Join(newline,
        "# Sandbox for CI jobs.  Keep   this spacing.",
        "version: 1",
        "sandbox:",
        "  image:",
        "    # bump with: cleanroom image bump-ref",
        $"    ref: {reference}   # pinned",
        "  network:",
        "    default: deny      # nothing else",
        "    allow:",
        "      - api.github.com:443",
        "other: {ref: \"busybox:1@" + OldDigest + "\"}",
        "");

    [Theory]
    [InlineData("ghcr.io/acme/base:stable@" + OldDigest, "ghcr.io/acme/base:stable@" + NewDigest)]
    [InlineData("'busybox:1.36@" + OldDigest + "'", "'busybox:1.36@" + NewDigest + "'")]
    [InlineData("\"busybox:1.36@" + OldDigest + "\"", "\"busybox:1.36@" + NewDigest + "\"")]
    [InlineData("busybox:1.36", "busybox:1.36@" + NewDigest)]
    public async Task Only_the_ref_scalar_changes_and_comments_and_formatting_stay(string before, string after)
    {
        var path = Write(Policy(before));

        var result = await PolicyImageBump.RewriteAsync(path, Resolver);

        Assert.True(result.Changed);
        Assert.Equal(Policy(after), File.ReadAllText(path));
    }

    [Fact]
    public async Task Crlf_line_endings_and_a_byte_order_mark_are_kept()
    {
        var path = Write(Policy("busybox:1@" + OldDigest, "\r\n"), bom: true);

        await PolicyImageBump.RewriteAsync(path, Resolver);

        var expected = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes(Policy("busybox:1@" + NewDigest, "\r\n")));
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_digest_that_did_not_move_leaves_the_file_untouched()
    {
        var path = Write(Policy("busybox:1@" + NewDigest));
        var written = File.GetLastWriteTimeUtc(path);

        var result = await PolicyImageBump.RewriteAsync(path, Resolver);

        Assert.False(result.Changed);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task A_ref_without_a_tag_has_nothing_to_follow()
    {
        var path = Write(Policy("ghcr.io/acme/base@" + OldDigest));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => PolicyImageBump.RewriteAsync(path, Resolver));

        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Equal(Policy("ghcr.io/acme/base@" + OldDigest), File.ReadAllText(path));
    }

    [RegistryFact]
    public async Task The_tag_is_resolved_against_the_registry_to_the_digest_a_pull_gets()
    {
        await using var registry = await LocalRegistry.StartAsync();
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        var manifest = layout.AddImage([new LayerBuilder().File("v", "2").Build()]);
        layout.Tag("stable", manifest);
        await registry.PushAsync(layout, "stable", "team/tools");
        var path = Write(Policy($"{registry.Host}/team/tools:stable@{OldDigest}"));
        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options(registry.Host));

        var result = await PolicyImageBump.RewriteAsync(path, puller.ResolveDigestAsync);

        Assert.Equal($"{registry.Host}/team/tools:stable@{manifest.Digest}", result.NewReference);
        Assert.Equal(Policy($"{registry.Host}/team/tools:stable@{manifest.Digest}"), File.ReadAllText(path));
    }
}
