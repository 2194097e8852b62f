using System.CommandLine;
using Cleanroom.Client;

namespace Cleanroom.Cli.Client;

/// <summary>
/// The connection flags every verb takes (<c>--tls-ca</c>, <c>--tls-cert</c>, <c>--tls-key</c>, <c>--token-file</c>),
/// options of the root command that apply to all its subcommands. For client verbs they say how to reach an https
/// server and who to be; for <c>serve</c>, <c>--tls-cert</c>/<c>--tls-key</c> are its certificate and <c>--tls-ca</c>
/// the CA client certificates must chain to.
/// </summary>
public sealed record ConnectionFlags(string? TlsCa, string? TlsCert, string? TlsKey, string? TokenFile)
{
    public static ConnectionFlags None { get; } = new(null, null, null, null);

    public bool Any => TlsCa is not null || TlsCert is not null || TlsKey is not null || TokenFile is not null;

    internal static void AddTo(RootCommand root)
    {
        root.Options.Add(new Option<string?>("--tls-ca") { Recursive = true, Description = "PEM CA bundle: the CA of an https server's certificate (serve: the CA client certificates must chain to, mTLS)" });
        root.Options.Add(new Option<string?>("--tls-cert") { Recursive = true, Description = "PEM client certificate for an https server that verifies clients (serve: the server's certificate)" });
        root.Options.Add(new Option<string?>("--tls-key") { Recursive = true, Description = "PEM private key of --tls-cert" });
        root.Options.Add(new Option<string?>("--token-file") { Recursive = true, Description = "File holding the bearer token to call the server with (default: $CLEANROOM_TOKEN)" });
    }

    internal static ConnectionFlags From(ParseResult parse, Func<string?, string> resolvePath)
    {
        string? Path(string name) => parse.GetValue<string?>(name) is { } value ? resolvePath(value) : null;
        return new ConnectionFlags(Path("--tls-ca"), Path("--tls-cert"), Path("--tls-key"), Path("--token-file"));
    }

    /// <summary>
    /// The client options for <paramref name="host"/> with these flags and the environment's defaults. Every command
    /// is one trace: the caller's <c>TRACEPARENT</c>, else a new one for this invocation.
    /// </summary>
    public CleanroomClientOptions ClientOptions(string? host, Func<string, string?> getEnvironment)
    {
        var options = CleanroomClientOptions.ForClient(host, getEnvironment, TokenFile, TlsCa, TlsCert, TlsKey);
        return options.TraceParent is null ? options with { TraceParent = TraceContext.NewTraceParent() } : options;
    }
}
