using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Host-side bare mirrors, one per upstream repository (<c>ROOT/HOST_PORT/REPO-PATH</c>), that serve a fetch when they
/// already hold every object it wants and are filled from the upstream on a miss. Only repositories of hosts with a
/// host credential are mirrored: every sandbox then reaches the upstream under the same identity, so a mirror holds
/// nothing a sandbox allowed that host could not fetch itself (with a guest's own token it could).
/// Refs always come from the upstream (info/refs and ls-refs are never answered here), so a mirror never makes a
/// client see stale branches; at worst it lacks objects, which is a miss. Size and age are bounded by
/// <see cref="MirrorHousekeeping"/>: a request holds <see cref="Lease"/> on its mirror while it fills or serves it.
/// </summary>
internal sealed class RepositoryMirrors(string root, string? caBundle, MirrorHousekeeping housekeeping, ILogger logger)
{
    private static readonly TimeSpan FillTimeout = TimeSpan.FromMinutes(30);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly HostProgram _git = new(logger, ErrorCode.GatewayUpstreamFailed, FillTimeout);

    /// <summary>The mirror directory of a git route: its host, port and repository path (the segments before the service).</summary>
    public string PathOf(GitRoute route) =>
        Path.Combine(root, $"{route.Host}_{route.Port}", RepositoryPath(route).TrimStart('/').Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Keeps the route's mirror from being removed by the housekeeping until disposed (and marks it used).</summary>
    public IDisposable Lease(GitRoute route) => housekeeping.Lease(PathOf(route));

    /// <summary>The mirrors' root, and their housekeeping (which knows what requests hold), for <c>system df</c> and <c>prune</c>.</summary>
    public string Root => root;

    public MirrorHousekeeping Housekeeping => housekeeping;

    public static string RepositoryPath(GitRoute route)
    {
        var path = route.UpstreamPathAndQuery.Split('?')[0];
        foreach (var service in new[] { "/info/refs", "/git-upload-pack", "/git-receive-pack" })
        {
            if (path.EndsWith(service, StringComparison.Ordinal))
                return path[..^service.Length];
        }

        return path;
    }

    /// <summary>
    /// Makes sure the mirror holds every object <paramref name="wants"/> names, fetching from the upstream at
    /// <paramref name="address"/> when it does not. Returns whether it already did (a hit).
    /// </summary>
    public async Task<bool> EnsureAsync(GitRoute route, IReadOnlyList<string> wants, System.Net.IPAddress address,
        AuthenticationHeaderValue authorization, CancellationToken cancellationToken)
    {
        var mirror = PathOf(route);
        var gate = _locks.GetOrAdd(mirror, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Directory.Exists(mirror) && await HasAllAsync(mirror, wants, cancellationToken))
                return true;
            await FillAsync(route, mirror, address, authorization, cancellationToken);
            // The mirrors grew: bring them back within their bounds (this one is leased by the caller, so it stays).
            _ = housekeeping.SweepAsync();
            if (!await HasAllAsync(mirror, wants, cancellationToken))
                throw new CleanroomException(ErrorCode.GatewayUpstreamFailed, "the upstream's refs do not reach every object the fetch wants");
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Answers the upload-pack request from the mirror (<c>git upload-pack --stateless-rpc</c>), streaming the pack.</summary>
    public async Task ServeAsync(GitRoute route, UploadPackRequest request, string? gitProtocol, Stream response, CancellationToken cancellationToken)
    {
        var mirror = PathOf(route);
        var environment = new Dictionary<string, string>(Isolated);
        if (gitProtocol is not null)
            environment["GIT_PROTOCOL"] = gitProtocol;
        var result = await _git.TryRunAsync(["git", "upload-pack", "--stateless-rpc", mirror], mirror, request.Body, response,
            FillTimeout, environment, cancellationToken) ?? throw new CleanroomException(ErrorCode.GatewayUpstreamFailed, "serving from the mirror timed out");
        if (!result.Succeeded)
            throw new CleanroomException(ErrorCode.GatewayUpstreamFailed, $"serving from the mirror failed: {HostProgram.Tail(result.Stderr)}");
    }

    private async Task<bool> HasAllAsync(string mirror, IReadOnlyList<string> wants, CancellationToken cancellationToken)
    {
        var input = System.Text.Encoding.ASCII.GetBytes(string.Concat(wants.Select(w => w + "\n")));
        var result = await _git.TryRunAsync(["git", "--git-dir", mirror, "cat-file", "--batch-check"], mirror, input, null,
            TimeSpan.FromMinutes(1), Isolated, cancellationToken);
        return result is { Succeeded: true } && !result.StdoutText.Contains(" missing", StringComparison.Ordinal);
    }

    /// <summary>
    /// Fetches every branch and tag of the upstream into the mirror whatever it holds already (a server-side checkout
    /// wants the upstream's refs as they are now), and <paramref name="commit"/> by its id when no ref reaches it (kept
    /// under <c>refs/cleanroom/commits/</c>). An anonymous fill (no credential) is for a checkout only: the gateway
    /// serves sandboxes from mirrors of hosts with a credential. Returns whether the commit, if any, is there now.
    /// </summary>
    public async Task<bool> RefreshAsync(GitRoute route, System.Net.IPAddress address, AuthenticationHeaderValue? authorization, string? commit,
        CancellationToken cancellationToken)
    {
        var mirror = PathOf(route);
        var gate = _locks.GetOrAdd(mirror, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await FillAsync(route, mirror, address, authorization, cancellationToken);
            _ = housekeeping.SweepAsync();
            if (commit is null || await HasAllAsync(mirror, [commit], cancellationToken))
                return true;
            // Most servers answer a want of any reachable commit (protocol v2 always does); a refusal is "not there".
            var fetched = await FetchAsync(route, mirror, address, authorization, [$"+{commit}:refs/cleanroom/commits/{commit}"], prune: false, cancellationToken);
            return fetched.Succeeded && await HasAllAsync(mirror, [commit], cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The branch the upstream's HEAD points at (<c>git ls-remote --symref</c>); null when it names none.</summary>
    public async Task<string?> DefaultBranchAsync(GitRoute route, System.Net.IPAddress address, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        var result = await _git.TryRunAsync(["git", "ls-remote", "--symref", UpstreamUrl(route), "HEAD"], root, null, null, TimeSpan.FromMinutes(2),
            UpstreamEnvironment(route, address, authorization), cancellationToken);
        if (result is not { Succeeded: true })
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"asking {route.Host}:{route.Port}{RepositoryPath(route)} for its default branch failed (exit {result?.ExitCode})");
        const string prefix = "ref: refs/heads/";
        return result.StdoutText.Split('\n').Where(line => line.StartsWith(prefix, StringComparison.Ordinal) && line.EndsWith("\tHEAD", StringComparison.Ordinal))
            .Select(line => line[prefix.Length..^"\tHEAD".Length]).FirstOrDefault();
    }

    /// <summary>
    /// <c>git fetch</c> of every branch and tag into the mirror, connecting to the address the gateway resolved by the
    /// caller's policy (curl's resolve list pins it: git never does its own DNS here) with the host credential in an
    /// environment-only config entry (never argv, never the mirror's config file).
    /// </summary>
    private async Task FillAsync(GitRoute route, string mirror, System.Net.IPAddress address, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(mirror))
        {
            Directory.CreateDirectory(mirror);
            await _git.RunCheckedAsync(["git", "init", "-q", "--bare", mirror], root, cancellationToken);
        }

        var result = await FetchAsync(route, mirror, address, authorization, ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], prune: true, cancellationToken);
        if (!result.Succeeded)
            throw new CleanroomException(ErrorCode.GatewayUpstreamFailed, $"filling the mirror of {route.Host}:{route.Port}{RepositoryPath(route)} failed (exit {result.ExitCode})");
        logger.LogInformation("gateway: mirror of {Host}:{Port}{Repository} filled", route.Host, route.Port, RepositoryPath(route));
    }

    private async Task<HostProgramResult> FetchAsync(GitRoute route, string mirror, System.Net.IPAddress address, AuthenticationHeaderValue? authorization,
        IReadOnlyList<string> refspecs, bool prune, CancellationToken cancellationToken)
    {
        List<string> argv = ["git", "--git-dir", mirror, "fetch", "--quiet", "--no-tags"];
        if (prune)
            argv.Add("--prune");
        argv.Add(UpstreamUrl(route));
        argv.AddRange(refspecs);
        return await _git.TryRunAsync(argv, mirror, null, null, FillTimeout, UpstreamEnvironment(route, address, authorization), cancellationToken)
            ?? throw new CleanroomException(ErrorCode.GatewayUpstreamFailed, "filling the mirror timed out");
    }

    private static string UpstreamUrl(GitRoute route) => new Uri(route.UpstreamUri, RepositoryPath(route)).ToString();

    /// <summary>
    /// Git's environment for talking to the upstream: pinned to <paramref name="address"/>, no redirects, http(s) only,
    /// and the credential (if any) as an environment-only config entry.
    /// </summary>
    private Dictionary<string, string> UpstreamEnvironment(GitRoute route, System.Net.IPAddress address, AuthenticationHeaderValue? authorization)
    {
        var config = new List<(string Key, string Value)>
        {
            ("http.curloptResolve", $"{route.Host}:{route.Port}:{address}"),
            ("http.followRedirects", "false"),
            // Keep what arrives as a pack, however few objects it holds: git would explode a small fetch (under 100
            // objects, such as one large blob) into loose objects, which every later serve must deflate again.
            ("fetch.unpackLimit", "1"),
            ("protocol.allow", "never"),
            ("protocol.http.allow", "always"),
            ("protocol.https.allow", "always"),
        };
        if (authorization is not null)
            config.Add(("http.extraHeader", $"Authorization: {authorization}"));
        if (caBundle is not null)
            config.Add(("http.sslCAInfo", caBundle));
        var environment = new Dictionary<string, string>(Isolated) { ["GIT_CONFIG_COUNT"] = config.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        for (var i = 0; i < config.Count; i++)
        {
            environment[$"GIT_CONFIG_KEY_{i}"] = config[i].Key;
            environment[$"GIT_CONFIG_VALUE_{i}"] = config[i].Value;
        }
        return environment;
    }

    /// <summary>No prompts, no system or user config, no hooks from anywhere but the mirror itself.</summary>
    internal Dictionary<string, string> Isolated => new(StringComparer.Ordinal)
    {
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["GIT_CONFIG_GLOBAL"] = "/dev/null",
        ["HOME"] = root,
        ["GIT_ASKPASS"] = "/bin/false",
        // Tracing would write request headers (the credential) to stderr, which reaches the debug log.
        ["GIT_TRACE"] = "0",
        ["GIT_TRACE_CURL"] = "0",
        ["GIT_TRACE_PACKET"] = "0",
        ["GIT_CURL_VERBOSE"] = "0",
    };
}
