using System.CommandLine;
using System.Text.Json;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;

namespace Cleanroom.Cli.Commands;

/// <summary><c>cleanroom auth check</c>: who the server takes this caller for (with <c>--token-file</c>, that token's principal). Creates nothing.</summary>
internal static class AuthCommand
{
    public static Command Build(CliConsole console)
    {
        var (host, json) = (CommonOptions.Host(), CommonOptions.Json());
        var check = new Command("check", "Ask the server who these credentials (--token-file, $CLEANROOM_TOKEN, --tls-cert, or this user on the unix socket) make the caller.")
        {
            host, json,
        };
        check.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var identity = await client.Identity.WhoAmIAsync(new WhoAmIRequest(), cancellationToken: token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(JsonSerializer.Serialize(new AuthCheckJson(identity.Principal, identity.Method, identity.Admin, identity.Required,
                    identity.Allowed, identity.PolicyReason, identity.AnyBackend ? null : [.. identity.Backends], identity.AnyImage ? null : [.. identity.Images],
                    identity.AllowAll), AuthCheckJsonContext.Default.AuthCheckJson));
                return identity.Allowed ? ExitCode.Success : ExitCode.Failure;
            }
            console.Out.WriteLine(identity.Principal.Length == 0 ? "principal: (anonymous)" : $"principal: {identity.Principal}");
            console.Out.WriteLine($"method:    {identity.Method}");
            console.Out.WriteLine($"admin:     {(identity.Admin ? "yes (sees every sandbox)" : "no")}");
            console.Out.WriteLine($"required:  {(identity.Required ? "yes (calls without an identity are refused)" : "no (anonymous calls are served)")}");
            console.Out.WriteLine($"allowed:   {(identity.Allowed ? "yes" : "no (every other call is refused with access_denied)")}, by {identity.PolicyReason}");
            if (identity.Allowed)
            {
                console.Out.WriteLine($"backends:  {(identity.AnyBackend ? "any" : identity.Backends.Count == 0 ? "none" : string.Join(", ", identity.Backends))}");
                console.Out.WriteLine($"images:    {(identity.AnyImage ? "any" : identity.Images.Count == 0 ? "none" : string.Join(", ", identity.Images))}");
                console.Out.WriteLine($"allow-all: {(identity.AllowAll ? "yes (--dangerously-allow-all may be used)" : "no")}");
            }
            // A denied identity is a failed check: scripts can test it without parsing.
            return identity.Allowed ? ExitCode.Success : ExitCode.Failure;
        }));
        var auth = new Command("auth", "Authentication against the server.");
        auth.Subcommands.Add(check);
        return auth;
    }
}

/// <summary><c>auth check --json</c>; <c>backends</c>/<c>images</c> are null when the policy does not limit them.</summary>
internal sealed record AuthCheckJson(string Principal, string Method, bool Admin, bool Required, bool Allowed, string PolicyReason,
    IReadOnlyList<string>? Backends, IReadOnlyList<string>? Images, bool AllowAll);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AuthCheckJson))]
internal sealed partial class AuthCheckJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
