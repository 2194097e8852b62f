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

    public static Option<string?> Host() => new("--host")
    {
        Description = "Server address: unix:///path/to.sock or http://127.0.0.1:PORT (default: $CLEANROOM_HOST, else the user's socket)",
    };

    public static Option<string?> Backend() => new("--backend")
    {
        Description = "Backend for a new sandbox (default: the runtime config's, else the strongest that works here)",
    };

    public static Option<bool> DangerouslyAllowAll() => new("--dangerously-allow-all")
    {
        Description = "Let this one sandbox reach any host (egress unrestricted; never put this in a policy)",
    };

    public static Option<string?> FromSnapshot() => new("--from")
    {
        Description = "Start the new sandbox from this snapshot ('cleanroom snapshot ls'): its files and running processes, under the same policy only",
    };

    public static Option<bool> NoCache() => new("--no-cache")
    {
        Description = "Run the policy's dependency and service blocks even where the server has their outputs cached",
    };

    public static Option<bool> Last() => new("--last")
    {
        Description = "Use the most recent one",
    };

    /// <summary><c>--expose [HOST_IP:]HOST_PORT:GUEST_PORT</c>, repeatable (exec, console, create, expose).</summary>
    public static Option<string[]> Expose() => new("--expose")
    {
        Description = "Listen on a host port (127.0.0.1 unless HOST_IP is named; 0 picks one) and carry connections to GUEST_PORT in the sandbox: [HOST_IP:]HOST_PORT:GUEST_PORT",
        AllowMultipleArgumentsPerToken = false,
    };

    public static IReadOnlyList<Ports.PortSpec> ExposeSpecs(string[]? values) =>
        (values ?? []).Select(v => Ports.PortSpec.Parse(v, "--expose")).ToList();

    /// <summary><c>--expose-https [NAME:GUEST_PORT]</c>, repeatable; bare, it takes the policy's expose.https routes.</summary>
    public static Option<string[]> ExposeHttps() => new("--expose-https")
    {
        Description = "Serve https://NAME.cleanroom.localhost:ROUTER_PORT/ from GUEST_PORT in the sandbox (NAME:GUEST_PORT); without a value, the policy's expose.https routes",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Ports.HttpsExposure ExposeHttpsOf(ParseResult parse, Option<string[]> option) =>
        Ports.HttpsExposure.Parse(parse.GetResult(option) is not null, parse.GetValue(option) ?? []);
}
