using System.Formats.Tar;
using System.Text.Json;

namespace Cleanroom.Server.Tests;

/// <summary><c>cleanroom image import|ls|rm</c> and <c>cleanroom init</c> against this host's (test) store.</summary>
public sealed class ImageAndInitVerbTests : IAsyncLifetime
{
    private ServerUnderTest _server = null!;

    public async Task InitializeAsync() => _server = await ServerUnderTest.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> ImportAsync(string reference)
    {
        var tar = Path.Combine(_server.Root, "rootfs.tar");
        await using (var file = File.Create(tar))
        await using (var writer = new TarWriter(file, TarEntryFormat.Pax))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "etc") { Mode = (UnixFileMode)0b111_101_101 });
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "etc/hostname") { DataStream = new MemoryStream("box\n"u8.ToArray()) };
            await writer.WriteEntryAsync(entry);
        }

        var run = await _server.RunCliAsync("image", "import", reference, tar);
        Assert.Equal(0, run.ExitCode);
        return run.Out.Trim();
    }

    [Fact]
    public async Task Import_prints_the_pinned_reference_and_ls_lists_it()
    {
        var pinned = await ImportAsync("cleanroom.local/tiny:1");

        Assert.Matches("^cleanroom.local/tiny:1@sha256:[0-9a-f]{64}$", pinned);
        var list = await _server.RunCliAsync("image", "ls", "--json");
        using var doc = JsonDocument.Parse(list.Out);
        var image = Assert.Single(doc.RootElement.GetProperty("images").EnumerateArray());
        Assert.Equal(pinned, image.GetProperty("reference").GetString());
    }

    [Fact]
    public async Task Rm_refuses_an_image_a_live_sandbox_runs_unless_forced()
    {
        var pinned = await ImportAsync("cleanroom.local/tiny:1");
        var create = await _server.RunCliAsync("create", "--image", pinned);
        Assert.Equal(0, create.ExitCode);

        var refused = await _server.RunCliAsync("image", "rm", "cleanroom.local/tiny:1");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("image_in_use", refused.Error);

        var forced = await _server.RunCliAsync("image", "rm", "--force", "cleanroom.local/tiny:1");
        Assert.Equal(0, forced.ExitCode);
        var list = await _server.RunCliAsync("image", "ls", "--json");
        Assert.Contains("\"images\":[]", list.Out);
    }

    [Fact]
    public async Task Exec_with_an_image_tag_runs_the_digest_the_store_has_for_it_and_says_which()
    {
        var pinned = await ImportAsync("cleanroom.local/tiny:1");

        var run = await _server.RunCliAsync("exec", "--rm", "--image", "cleanroom.local/tiny:1", "--", "true");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"cleanroom: image {pinned}", run.Error);
        var missing = await _server.RunCliAsync("exec", "--image", "cleanroom.local/absent:1", "--", "true");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not_found", missing.Error);
    }

    [Fact]
    public async Task Init_pins_the_default_image_and_writes_a_valid_deny_all_policy()
    {
        var pinned = await ImportAsync("cleanroom.local/debian:latest");
        var target = Directory.CreateDirectory(Path.Combine(_server.Root, "fresh")).FullName;

        var init = await _server.RunCliAsync("init", "--chdir", target);
        Assert.Equal(0, init.ExitCode);
        Assert.Contains($"ref: {pinned}", await File.ReadAllTextAsync(Path.Combine(target, "cleanroom.yaml")));

        var again = await _server.RunCliAsync("init", "--chdir", target);
        Assert.Equal(1, again.ExitCode);

        var validate = await _server.RunCliAsync("policy", "validate", "--json", "--chdir", target);
        Assert.Equal(0, validate.ExitCode);
        Assert.Contains("\"execution\":[]", validate.Out);
    }

    [Fact]
    public async Task Init_without_the_image_in_the_store_says_how_to_get_it()
    {
        var run = await _server.RunCliAsync("init", "--chdir", _server.Root, "--image", "cleanroom.local/absent:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not_found", run.Error);
        Assert.Contains("setup.sh", run.Error);
    }
}
