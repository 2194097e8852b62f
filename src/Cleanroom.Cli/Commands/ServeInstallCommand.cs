using System.CommandLine;
using Cleanroom.Cli.Service;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom serve install [--force]</c>: writes the systemd unit (<see cref="ServiceUnit"/>) and, where systemd
/// runs, reloads it and enables and starts the service. Where it does not (a container), the unit is written and the
/// command says so; nothing else on the host changes.
/// </summary>
internal static class ServeInstallCommand
{
    private static readonly TimeSpan SystemctlDeadline = TimeSpan.FromMinutes(2);

    public static Command Build(CliConsole console)
    {
        var force = CommonOptions.Force();
        force.Description = "Overwrite an existing unit";
        var unitDirectory = new Option<string>("--unit-dir") { Description = "Where to write cleanroom.service", DefaultValueFactory = _ => "/etc/systemd/system" };
        var listen = new Option<string[]>("--listen") { Description = "An address the service serves besides its socket (repeatable), as for serve" };
        var noEnable = new Option<bool>("--no-enable") { Description = "Only write the unit; do not reload, enable or start it" };
        var command = new Command("install", "Install the server as a systemd service (cleanroom.service), enabled and started.") { force, unitDirectory, listen, noEnable };
        command.SetAction(async (parse, token) =>
        {
            try
            {
                return await InstallAsync(console, parse.GetValue(unitDirectory)!, parse.GetValue(force), parse.GetValue(listen) ?? [], parse.GetValue(noEnable), token);
            }
            catch (CleanroomException e)
            {
                console.Error.WriteLine($"cleanroom: {e.Code}: {e.Message}");
                return ExitCode.Failure;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                console.Error.WriteLine($"cleanroom: {e.Message}");
                return ExitCode.Failure;
            }
        });
        return command;
    }

    private static async Task<int> InstallAsync(CliConsole console, string unitDirectory, bool force, string[] listen, bool noEnable, CancellationToken token)
    {
        var directory = console.ResolvePath(unitDirectory);
        var path = Path.Combine(directory, ServiceUnit.FileName);
        if (File.Exists(path) && !force)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{path} exists; --force overwrites it");

        var binary = Environment.ProcessPath ?? throw new CleanroomException(ErrorCode.InvalidArgument, "cannot tell where this cleanroom binary is");
        Directory.CreateDirectory(directory);
        var partial = path + ".partial";
        await File.WriteAllTextAsync(partial, ServiceUnit.Render(binary, console.Directories, listen), token);
        File.Move(partial, path, overwrite: true);
        console.Out.WriteLine($"wrote {path}");
        if (noEnable)
            return ExitCode.Success;
        if (!SystemdService.Running)
        {
            console.Out.WriteLine($"{SystemdService.NotRunningReason}: the unit is written but not enabled; " +
                "where systemd runs: systemctl daemon-reload && systemctl enable --now cleanroom");
            return ExitCode.Success;
        }

        var systemctl = new HostProgram(NullLogger.Instance, ErrorCode.InvalidArgument, SystemctlDeadline);
        await systemctl.RunCheckedAsync(["systemctl", "daemon-reload"], null, token);
        await systemctl.RunCheckedAsync(["systemctl", "enable", "--now", ServiceUnit.FileName], null, token);
        console.Out.WriteLine("cleanroom.service enabled and started; 'journalctl -u cleanroom' shows its log");
        return ExitCode.Success;
    }
}
