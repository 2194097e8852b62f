using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.RuntimeConfig;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom config init|validate|path</c>: the host's runtime config.</summary>
internal static class ConfigCommand
{
    public static Command Build(CliConsole console)
    {
        var config = new Command("config", "Create and check the host's runtime config (backends and their settings).");
        config.Subcommands.Add(BuildInit(console));
        config.Subcommands.Add(BuildValidate(console));
        config.Subcommands.Add(BuildPath(console));
        return config;
    }

    private static Command BuildInit(CliConsole console)
    {
        var force = CommonOptions.Force();
        var command = new Command("init", "Write a commented default config for this host (refuses to overwrite without --force).") { force };
        command.SetAction(parse =>
        {
            var path = console.Directories.ConfigFile;
            if (File.Exists(path) && !parse.GetValue(force))
            {
                console.Error.WriteLine($"cleanroom: {path} already exists; use --force to overwrite it");
                return ExitCode.Failure;
            }

            ConfigFileWriter.Write(path, RuntimeConfigTemplate.Render(defaultBackend: null));
            console.Out.WriteLine($"wrote {path}");
            return ExitCode.Success;
        });
        return command;
    }

    private static Command BuildValidate(CliConsole console)
    {
        var json = CommonOptions.Json();
        var command = new Command("validate", "Check the runtime config: unknown fields and bad values fail with their path.") { json };
        command.SetAction(parse =>
        {
            var result = RuntimeConfigReader.ReadFile(console.Directories.ConfigFile);
            if (parse.GetValue(json))
            {
                var report = new JsonObject
                {
                    ["valid"] = result.Valid,
                    ["path"] = result.Path,
                    ["exists"] = result.Exists,
                    ["errors"] = new JsonArray(result.Problems.Select(p => (JsonNode?)new JsonObject
                    {
                        ["code"] = Cleanroom.Errors.ErrorCode.ConfigInvalid,
                        ["path"] = p.Path,
                        ["line"] = p.Line,
                        ["column"] = p.Column,
                        ["message"] = p.Message,
                    }).ToArray()),
                };
                console.Out.WriteLine(report.ToJsonString());
            }
            else if (result.Valid)
            {
                console.Out.WriteLine(result.Exists
                    ? $"{result.Path}: valid"
                    : $"{result.Path} does not exist; every setting has its default (create it with 'cleanroom config init')");
            }
            else
            {
                console.Out.WriteLine($"{result.Path}: invalid");
                foreach (var problem in result.Problems)
                {
                    console.Out.WriteLine($"  {result.Path}:{problem.Line}:{problem.Column}: {problem.Path}: {problem.Message} [config_invalid]");
                }
            }

            return result.Valid ? ExitCode.Success : ExitCode.Failure;
        });
        return command;
    }

    private static Command BuildPath(CliConsole console)
    {
        var command = new Command("path", "Print where the runtime config is read from.");
        command.SetAction(_ =>
        {
            console.Out.WriteLine(console.Directories.ConfigFile);
            return ExitCode.Success;
        });
        return command;
    }
}
