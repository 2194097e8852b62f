using System.CommandLine;
using Cleanroom.Cli.Commands;

namespace Cleanroom.Cli;

/// <summary>Builds the <c>cleanroom</c> command tree and runs one invocation of it.</summary>
public static class CliApplication
{
    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("Cleanroom: run untrusted code in isolated sandboxes with deny-by-default egress.");
        root.Subcommands.Add(VersionCommand.Build(console));
        root.Subcommands.Add(PolicyCommand.Build(console));
        root.Subcommands.Add(ConfigCommand.Build(console));
        root.Subcommands.Add(ServeCommand.Build(console));
        root.Subcommands.Add(ExecCommand.Build(console));
        root.Subcommands.Add(ExecCommand.BuildConsole(console));
        root.Subcommands.Add(SandboxCommand.BuildCreate(console, "create", repositoryAware: true));
        root.Subcommands.Add(WorkspaceCommand.Build(console));
        root.Subcommands.Add(CpCommand.Build(console));
        root.Subcommands.Add(PortCommands.BuildExpose(console));
        root.Subcommands.Add(PortCommands.BuildPortForward(console));
        root.Subcommands.Add(TlsCommand.Build(console));
        root.Subcommands.Add(AuthCommand.Build(console));
        root.Subcommands.Add(SandboxCommand.Build(console));
        root.Subcommands.Add(SnapshotCommand.Build(console));
        root.Subcommands.Add(ExecutionCommand.Build(console));
        root.Subcommands.Add(StatusCommand.Build(console));
        root.Subcommands.Add(DoctorCommand.Build(console));
        root.Subcommands.Add(ImageCommand.Build(console));
        root.Subcommands.Add(SystemCommand.Build(console));
        root.Subcommands.Add(DaemonCommand.Build(console));
        root.Subcommands.Add(InitCommand.Build(console));
        Client.ConnectionFlags.AddTo(root);
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(console);
        var parsed = root.Parse(args);
        // Verbs take the connection flags from their console: a second build hands them over (cheap: no I/O).
        if (parsed.Errors.Count == 0 && Client.ConnectionFlags.From(parsed, console.ResolvePath) is { Any: true } connection)
        {
            console = console with { Connection = connection };
            root = BuildRoot(console);
            parsed = root.Parse(args);
        }
        // No Ctrl-C handling from the parser: verbs that care (exec) handle SIGINT themselves, the rest just stop.
        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error, ProcessTerminationTimeout = null };
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"cleanroom: {error.Message}");
            }

            await console.Error.WriteLineAsync("Run 'cleanroom --help' for usage.");
            return ExitCode.Usage;
        }

        return await parsed.InvokeAsync(invocation, cancellationToken);
    }
}
