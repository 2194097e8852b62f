using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.Api.Errors;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Output;
using Cleanroom.Errors;
using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Cleanroom.Images.Registry.Policy;
using Cleanroom.RuntimeConfig;
using Cleanroom.Server;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom image import|ls|rm</c>: this host's content-addressed image store. The store is a local directory
/// shared with the server (it locks itself), so these verbs work before any server runs — setup imports the
/// default images that way. <c>rm</c> asks a running server which images its live sandboxes use.
/// </summary>
internal static class ImageCommand
{
    public static Command Build(CliConsole console)
    {
        var image = new Command("image", "Import, list and remove the digest-pinned OCI images sandboxes run.");
        image.Subcommands.Add(BuildImport(console));
        image.Subcommands.Add(BuildList(console));
        image.Subcommands.Add(BuildRemove(console));
        image.Subcommands.Add(BuildPull(console));
        image.Subcommands.Add(BuildBumpRef(console));
        return image;
    }

    private static Command BuildImport(CliConsole console)
    {
        var reference = new Argument<string>("reference") { Description = "Name to record, e.g. registry.example/team/base:1" };
        var tarball = new Argument<string>("rootfs") { Description = "Root filesystem as a .tar or .tar.gz" };
        var command = new Command("import", "Make a one-layer image from a rootfs tarball and print its digest-pinned reference.");
        command.Arguments.Add(reference);
        command.Arguments.Add(tarball);
        command.SetAction((parse, token) => LocalAsync(console, async store =>
        {
            await using var input = File.OpenRead(console.ResolvePath(parse.GetValue(tarball)));
            var stored = await store.ImportAsync(parse.GetValue(reference)!, input, cancellationToken: token);
            console.Out.WriteLine(stored.Reference!.ToString());
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildList(CliConsole console)
    {
        var json = CommonOptions.Json();
        var command = new Command("ls", "List the images in this host's store.") { json };
        command.Aliases.Add("list");
        command.SetAction(parse => LocalAsync(console, store =>
        {
            var images = store.List();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(new JsonObject
                {
                    ["images"] = new JsonArray(images.Select(i => (JsonNode?)new JsonObject
                    {
                        ["reference"] = i.Reference.ToString(),
                        ["digest"] = i.ManifestDigest.ToString(),
                        ["size_bytes"] = i.Size,
                        ["created"] = i.Created?.ToString("O"),
                    }).ToArray()),
                }.ToJsonString());
            }
            else
            {
                var table = new TextTable("REFERENCE", "DIGEST", "SIZE");
                foreach (var i in images)
                {
                    table.Add(i.Reference.ToString(), i.ManifestDigest.ToString()[..19], $"{i.Size / 1024.0 / 1024.0:0.0} MiB");
                }

                table.WriteTo(console.Out);
            }

            return Task.FromResult(ExitCode.Success);
        }));
        return command;
    }

    private static Command BuildRemove(CliConsole console)
    {
        var reference = new Argument<string>("reference") { Description = "A tag, a pinned reference, or a bare sha256: digest" };
        var force = CommonOptions.Force();
        var host = CommonOptions.Host();
        var command = new Command("rm", "Remove an image; refused while a live sandbox uses it unless --force.") { force, host };
        command.Arguments.Add(reference);
        command.SetAction((parse, token) => LocalAsync(console, async store =>
        {
            var inUse = await ImagesInUseAsync(console, parse.GetValue(host), token);
            var removal = await store.RemoveAsync(parse.GetValue(reference)!, parse.GetValue(force), digest => inUse.Contains(digest.ToString()), token);
            console.Out.WriteLine($"removed {removal.ManifestDigest} ({string.Join(", ", removal.RemovedReferences)})");
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildPull(CliConsole console)
    {
        var reference = new Argument<string>("reference") { Description = "name:tag or name@sha256:<digest>" };
        var platform = new Option<string?>("--platform") { Description = "os/arch[/variant] to pick from a multi-platform image (default linux/amd64)" };
        var json = CommonOptions.Json();
        var command = new Command("pull", "Pull an image from its registry into this host's store and print its digest-pinned reference.") { platform, json };
        command.Arguments.Add(reference);
        command.SetAction((parse, token) => LocalAsync(console, async store =>
        {
            var config = RuntimeConfigReader.ReadFile(console.Directories.ConfigFile).Configuration ?? RuntimeConfiguration.Empty;
            using var puller = HostImagePuller.Create(store, config);
            var wanted = parse.GetValue(platform) is { } text ? ImagePlatform.Parse(text) : null;
            var stored = await PullProgressView.RunAsync(console, parse.GetValue(json),
                progress => puller.PullAsync(parse.GetValue(reference)!, wanted, progress, token));
            console.Out.WriteLine(parse.GetValue(json)
                ? new JsonObject
                {
                    ["reference"] = stored.Reference?.ToString(),
                    ["digest"] = (stored.IndexDigest ?? stored.ManifestDigest).ToString(),
                    ["manifest_digest"] = stored.ManifestDigest.ToString(),
                    ["platform"] = $"{stored.Os}/{stored.Architecture}",
                    ["size_bytes"] = stored.Size,
                }.ToJsonString()
                : stored.Reference?.ToString());
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildBumpRef(CliConsole console)
    {
        var chdir = CommonOptions.Chdir();
        var command = new Command("bump-ref", "Resolve the policy image's tag to its current digest and rewrite only that value in cleanroom.yaml.") { chdir };
        command.SetAction((parse, token) => LocalAsync(console, async store =>
        {
            var location = Cleanroom.Policy.PolicyFileLocator.Locate(console.ResolvePath(parse.GetValue(chdir)));
            var config = RuntimeConfigReader.ReadFile(console.Directories.ConfigFile).Configuration ?? RuntimeConfiguration.Empty;
            using var puller = HostImagePuller.Create(store, config);
            var result = await PolicyImageBump.RewriteAsync(location.PolicyPath, puller.ResolveDigestAsync, token);
            console.Out.WriteLine(result.Changed
                ? $"{location.PolicyPath}: {result.OldReference} -> {result.NewReference}"
                : $"{location.PolicyPath}: {result.NewReference} is current");
            return ExitCode.Success;
        }));
        return command;
    }

    /// <summary>Digests the server's live sandboxes and warm-pool spares run; none when no server is running (then nothing is live).</summary>
    private static async Task<HashSet<string>> ImagesInUseAsync(CliConsole console, string? host, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new Cleanroom.Client.CleanroomClient(console.Connection.ClientOptions(host, console.GetEnvironment));
            var list = await client.Sandboxes.ListSandboxesAsync(new ListSandboxesRequest(), cancellationToken: cancellationToken);
            // A spare of the warm pool runs its image like any live sandbox, though no record lists it.
            return list.Sandboxes
                .Where(s => s.Status is SandboxStatus.Provisioning or SandboxStatus.Ready or SandboxStatus.Stopping)
                .Select(s => s.ImageRef)
                .Concat(list.WarmPoolImageRefs)
                .Select(reference => reference[(reference.LastIndexOf('@') + 1)..])
                .ToHashSet(StringComparer.Ordinal);
        }
        catch (ServerNotRunningException)
        {
            return [];
        }
    }

    private static async Task<int> LocalAsync(CliConsole console, Func<ImageStore, Task<int>> action)
    {
        try
        {
            return await action(HostImageStore.Open(console.Directories));
        }
        catch (CleanroomException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
            return ExitCode.Failure;
        }
        catch (IOException e)
        {
            console.Error.WriteLine($"cleanroom: {e.Message}");
            return ExitCode.Failure;
        }
    }
}
