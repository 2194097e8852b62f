using Cleanroom.Errors;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Checkouts;

/// <summary>
/// The repository a server-side checkout is asked for, checked by the gateway's own route rules: the URL becomes the
/// gateway route a sandbox's <c>git clone</c> of it would take (<c>/git/HOST[:PORT]/PATH/...</c>) and must parse as
/// one, so a checkout reaches exactly what a sandbox's git could, named the same way (and shares its mirror).
/// </summary>
internal static class RepositoryUrl
{
    public const string Field = "repository_checkout.url";

    /// <summary>The git route of <paramref name="url"/>; <c>invalid_argument</c> naming the problem otherwise.</summary>
    public static GitRoute Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url))
            throw Invalid("is empty");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            throw Invalid("must be an http(s) URL: https://HOST/PATH, or http://HOST:PORT/PATH for a port other than 443");
        if (uri.HostNameType != UriHostNameType.Dns)
            throw Invalid("must name its host by a DNS name: the gateway reaches hosts by the names a policy allows");
        if (uri.UserInfo.Length > 0)
            throw Invalid("must not hold a user or password: credentials stay in the server's runtime config (gateway.credentials)");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || url.Contains('?') || url.Contains('#'))
            throw Invalid("must not have a query or a fragment");
        // The gateway's upstream rule: HTTPS exactly when the port is 443, plain HTTP for any other.
        if ((uri.Scheme == "https") != (uri.Port == 443))
            throw Invalid("https is for port 443 and plain http for any other port (the gateway's upstream rule)");

        // Uri has already resolved dot segments in AbsolutePath; the raw path is what was asked for, checked as it is.
        var afterScheme = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var slash = afterScheme.IndexOf('/');
        var rawPath = slash < 0 ? "" : afterScheme[slash..].TrimEnd('/');
        if (rawPath.Length == 0)
            throw Invalid("names no repository path");
        var target = $"/git/{uri.IdnHost}:{uri.Port}{rawPath}/info/refs?service=git-upload-pack";
        return GatewayRequestTarget.Parse("GET", target, "checkout", "checkout", []) switch
        {
            GitRoute route => route with { UpstreamPathAndQuery = rawPath },
            RefusedRoute refused => throw Invalid($"is refused: {refused.Refusal.Message}"),
            _ => throw Invalid("is not a git repository URL"),
        };
    }

    /// <summary>How the repository is named in messages and in the guest's <c>origin</c> (never with credentials).</summary>
    public static string Display(GitRoute route) =>
        route.Port == 443 ? $"https://{route.Host}{route.UpstreamPathAndQuery}" : $"http://{route.Host}:{route.Port}{route.UpstreamPathAndQuery}";

    private static CleanroomException Invalid(string problem) => new(ErrorCode.InvalidArgument, $"{Field} {problem}");
}
