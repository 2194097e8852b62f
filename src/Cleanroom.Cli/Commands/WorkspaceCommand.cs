using System.CommandLine;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Workspace;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom workspace copy-in|diff|copy-out ID</c>: move changes between a checkout and a sandbox's workspace.</summary>
internal static class WorkspaceCommand
{
    public static Command Build(CliConsole console)
    {
        var workspace = new Command("workspace", "Copy local changes into a sandbox's workspace, inspect its changes, and copy them back.");
        workspace.Subcommands.Add(BuildCopyIn(console));
        workspace.Subcommands.Add(BuildDiff(console));
        workspace.Subcommands.Add(BuildCopyOut(console));
        return workspace;
    }

    private static Command BuildCopyIn(CliConsole console)
    {
        var host = CommonOptions.Host();
        var chdir = Checkout("the working directory");
        var dryRun = DryRun();
        var id = SandboxId();
        var command = new Command("copy-in", "Copy tracked edits, deletions and untracked (not ignored) files of the local checkout into the sandbox's workspace.")
        {
            host, chdir, dryRun, id,
        };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var sync = new WorkspaceSync(console, client);
            var sandboxId = parse.GetValue(id)!;
            var info = (await sync.ChangesAsync(sandboxId, token)).Workspace;
            var checkout = await WorkspaceSync.FindCheckoutAsync(console.ResolvePath(parse.GetValue(chdir)), token)
                ?? throw new CleanroomException(ErrorCode.NotAGitCheckout, "run workspace copy-in inside the git checkout the sandbox came from");
            await sync.CopyInAsync(sandboxId, checkout, info.GuestPath, parse.GetValue(dryRun), token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildDiff(CliConsole console)
    {
        var host = CommonOptions.Host();
        var json = CommonOptions.Json();
        var patch = new Option<bool>("--patch", "-p") { Description = "Also show the changes of files as a unified diff" };
        var maxBytes = MaxBytes();
        var id = SandboxId();
        var command = new Command("diff", "List what changed in the sandbox's workspace since its baseline (A added, M modified, D deleted).") { host, json, patch, maxBytes, id };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var response = await new WorkspaceSync(console, client).ChangesAsync(parse.GetValue(id)!, token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(ProtoJson.Format(response));
                return ExitCode.Success;
            }
            foreach (var change in response.Changes)
                console.Out.WriteLine($"{WorkspaceSync.Letter(WorkspaceSync.FromProto(change).Kind)} {change.Path}");
            if (parse.GetValue(patch))
                await new WorkspacePatch(console, client).WriteAsync(parse.GetValue(id)!, response, parse.GetValue(maxBytes), token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildCopyOut(CliConsole console)
    {
        var host = CommonOptions.Host();
        var chdir = Checkout("the checkout the sandbox's workspace came from");
        var dryRun = DryRun();
        var force = new Option<bool>("--force") { Description = "Write even when the local checkout moved or its files changed since the baseline" };
        var maxBytes = MaxBytes();
        var id = SandboxId();
        var command = new Command("copy-out", "Write the sandbox's workspace changes into the matching local checkout.")
        {
            host, chdir, dryRun, force, maxBytes, id,
        };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var directory = parse.GetValue(chdir) is { } given ? console.ResolvePath(given) : null;
            await new WorkspaceSync(console, client).CopyOutAsync(parse.GetValue(id)!, directory, parse.GetValue(dryRun), parse.GetValue(force),
                parse.GetValue(maxBytes), token);
            return ExitCode.Success;
        }));
        return command;
    }

    private static Option<string?> Checkout(string fallback) => new("--chdir")
    {
        Description = $"The local git checkout to copy from or into (default: {fallback})",
    };

    public static Option<bool> DryRun() => new("--dry-run") { Description = "Show what would be copied and change nothing" };

    public static Option<long> MaxBytes() => new("--max-bytes")
    {
        Description = "Stop when the sandbox sends more than this many bytes",
        DefaultValueFactory = _ => WorkspaceSync.DefaultMaxCopyOutBytes,
    };

    private static Argument<string> SandboxId() => new("sandbox-id") { Description = "The sandbox" };
}
