using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom policy validate|show</c>: check and print the repository's cleanroom.yaml.</summary>
internal static class PolicyCommand
{
    public static Command Build(CliConsole console)
    {
        var policy = new Command("policy", "Validate and inspect the repository's cleanroom.yaml policy.");
        policy.Subcommands.Add(BuildValidate(console));
        policy.Subcommands.Add(BuildShow(console));
        return policy;
    }

    private static Command BuildValidate(CliConsole console)
    {
        var chdir = CommonOptions.Chdir();
        var json = CommonOptions.Json();
        var command = new Command("validate", "Check cleanroom.yaml: exit 0 when valid, 1 when invalid, 2 when no policy file is found.")
        {
            chdir, json,
        };
        command.SetAction(parse => Validate(console, parse.GetValue(chdir), parse.GetValue(json)));
        return command;
    }

    private static Command BuildShow(CliConsole console)
    {
        var chdir = CommonOptions.Chdir();
        var json = CommonOptions.Json();
        var command = new Command("show", "Print the compiled policy: every stage's effective allow list and the policy_hash.")
        {
            chdir, json,
        };
        command.SetAction(parse => Show(console, parse.GetValue(chdir), parse.GetValue(json)));
        return command;
    }

    private static int Validate(CliConsole console, string? chdir, bool json)
    {
        if (!TryLoad(console, chdir, json, out var location, out var result))
        {
            return ExitCode.Usage;
        }

        var warnings = location.Warnings.Concat(result.Warnings).ToList();
        if (json)
        {
            var report = new JsonObject
            {
                ["valid"] = result.Valid,
                ["path"] = location.PolicyPath,
            };
            if (result.Valid)
            {
                report["policy_hash"] = result.Policy!.PolicyHash;
            }

            report["errors"] = new JsonArray(result.Errors.Select(e => (JsonNode?)e.ToJson()).ToArray());
            report["warnings"] = new JsonArray(warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray());
            if (result.Valid)
            {
                report["policy"] = result.Policy!.ToJson();
            }

            console.Out.WriteLine(report.ToJsonString());
        }
        else
        {
            foreach (var warning in warnings)
            {
                console.Error.WriteLine($"warning: {warning}");
            }

            if (result.Valid)
            {
                console.Out.WriteLine($"{location.PolicyPath}: valid");
                console.Out.WriteLine($"policy_hash: {result.Policy!.PolicyHash}");
            }
            else
            {
                console.Out.WriteLine($"{location.PolicyPath}: invalid ({result.Errors.Count} problem{(result.Errors.Count == 1 ? "" : "s")})");
                foreach (var error in result.Errors)
                {
                    var where = error.Line > 0 ? $"{location.PolicyPath}:{error.Line}:{error.Column}" : location.PolicyPath;
                    var path = string.IsNullOrEmpty(error.Path) ? "" : $" {error.Path}:";
                    console.Out.WriteLine($"  {where}:{path} {error.Message} [{error.Code}]");
                }
            }
        }

        return result.Valid ? ExitCode.Success : ExitCode.Failure;
    }

    private static int Show(CliConsole console, string? chdir, bool json)
    {
        if (!TryLoad(console, chdir, json, out var location, out var result))
        {
            return ExitCode.Usage;
        }

        if (!result.Valid)
        {
            console.Error.WriteLine($"cleanroom: {location.PolicyPath} is invalid [{result.Errors[0].Code}]; run 'cleanroom policy validate' for every problem");
            return ExitCode.Failure;
        }

        var node = result.Policy!.ToJson();
        console.Out.WriteLine(json
            ? node.ToJsonString()
            : node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return ExitCode.Success;
    }

    private static bool TryLoad(CliConsole console, string? chdir, bool json, out PolicyLocation location, out PolicyResult result)
    {
        location = null!;
        result = null!;
        var start = console.ResolvePath(chdir);
        if (!Directory.Exists(start))
        {
            return Fail(console, json, ErrorCode.InvalidArgument, $"directory {start} does not exist");
        }

        try
        {
            location = PolicyFileLocator.Locate(start);
        }
        catch (CleanroomException e)
        {
            return Fail(console, json, e.Code, e.Message + "; create one with 'cleanroom init'");
        }

        string text;
        try
        {
            text = File.ReadAllText(location.PolicyPath);
        }
        catch (IOException e)
        {
            return Fail(console, json, ErrorCode.PolicyNotFound, $"cannot read {location.PolicyPath}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(console, json, ErrorCode.PolicyNotFound, $"cannot read {location.PolicyPath}: {e.Message}");
        }

        result = PolicyCompiler.Compile(text, location.PolicyPath, location.ReadRepositoryFile);
        return true;
    }

    private static bool Fail(CliConsole console, bool json, string code, string message)
    {
        if (json)
        {
            var report = new JsonObject
            {
                ["valid"] = false,
                ["path"] = null,
                ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["path"] = "", ["line"] = 0, ["column"] = 0, ["message"] = message }),
                ["warnings"] = new JsonArray(),
            };
            console.Out.WriteLine(report.ToJsonString());
        }
        else
        {
            console.Error.WriteLine($"cleanroom: {message} [{code}]");
        }

        return false;
    }
}
