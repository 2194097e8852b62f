using System.CommandLine;
using System.Reflection;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom version</c>: the version of this binary.</summary>
internal static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            .Split('+')[0] ?? "0.0.0";

    public static Command Build(CliConsole console)
    {
        var command = new Command("version", "Print the version of this cleanroom binary.");
        command.SetAction(_ =>
        {
            console.Out.WriteLine($"cleanroom {Version}");
            return ExitCode.Success;
        });
        return command;
    }
}
