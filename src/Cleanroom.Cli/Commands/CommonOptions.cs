using System.CommandLine;

namespace Cleanroom.Cli.Commands;

/// <summary>Options several verbs share, made fresh per command (an option belongs to one command).</summary>
internal static class CommonOptions
{
    public static Option<string?> Chdir() => new("--chdir")
    {
        Description = "Directory to start from when looking for cleanroom.yaml (default: the working directory)",
    };

    public static Option<bool> Json() => new("--json")
    {
        Description = "Print one JSON object on stdout instead of text",
    };

    public static Option<bool> Force() => new("--force")
    {
        Description = "Overwrite what is already there",
    };
}
