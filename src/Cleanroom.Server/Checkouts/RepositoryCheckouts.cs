using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Cleanroom.Network;
using Cleanroom.Policy;
using Cleanroom.Server.Gateway;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Checkouts;

/// <summary>
/// Server-side repository checkouts (<c>--repo-url</c>): the repository is fetched on the host into the gateway's
/// mirror of it (with the host's credential for it, if any, exactly as a sandbox's git would get it), the commit is
/// chosen, and the policy is read from that commit (<c>cleanroom.yaml</c>, else <c>.buildkite/cleanroom.yaml</c>).
/// The caller checks that the policy allows the repository's host before anything is made (<see cref="RequireAllowed"/>);
/// <see cref="CheckoutTree"/> then writes the checkout into the started sandbox.
/// </summary>
internal sealed partial class RepositoryCheckouts(SandboxNetworks networks, HostGateway gateway, string workRoot, ILogger logger)
{
    private static readonly string[] PolicyFiles = [PolicyFileLocator.FileName, $"{PolicyFileLocator.BuildkiteDirectory}/{PolicyFileLocator.FileName}"];
    private readonly HostProgram _git = new(logger, ErrorCode.RepositoryCheckoutFailed, TimeSpan.FromMinutes(2));

    internal RepositoryMirrors Mirrors => gateway.Mirrors;

    internal HostProgram Git => _git;

    internal string WorkRoot => workRoot;

    public async Task<FetchedRepository> FetchAsync(string url, string? commitText, string? refText, CancellationToken cancellationToken)
    {
        var route = RepositoryUrl.Parse(url);
        var commit = CheckCommit(commitText);
        var reference = CheckRef(refText);
        var display = RepositoryUrl.Display(route);
        using var lease = Mirrors.Lease(route);
        var (address, authorization) = await UpstreamAsync(route, cancellationToken).ConfigureAwait(false);
        bool commitPresent;
        try
        {
            commitPresent = await Mirrors.RefreshAsync(route, address, authorization, commit, cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.GatewayUpstreamFailed)
        {
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"fetching {display} failed: {e.Message}", e);
        }
        if (!commitPresent)
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"commit {commit} is not in {display}");

        var mirror = Mirrors.PathOf(route);
        var defaultBranch = await Mirrors.DefaultBranchAsync(route, address, authorization, cancellationToken).ConfigureAwait(false);
        string? branch = null;
        if (reference is not null)
        {
            (var tip, branch) = await ResolveRefAsync(mirror, reference, cancellationToken).ConfigureAwait(false)
                ?? throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"'{reference}' is not a branch or tag of {display}");
            commit ??= tip;
        }
        else if (commit is null)
        {
            branch = defaultBranch ?? throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed,
                $"{display} names no default branch (its HEAD); pass --repo-ref or --repo-commit");
            commit = await RevParseAsync(mirror, $"refs/heads/{branch}", cancellationToken).ConfigureAwait(false)
                ?? throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed, $"the default branch {branch} of {display} has no commit");
        }

        var (file, text) = await ReadPolicyAsync(mirror, commit, cancellationToken).ConfigureAwait(false)
            ?? throw new CleanroomException(ErrorCode.PolicyNotFound, $"commit {commit} of {display} has no {string.Join(" or ", PolicyFiles)}");
        var source = $"{display}@{commit}:{file}";
        var result = PolicyCompiler.Compile(text, source);
        if (!result.Valid)
        {
            var first = result.Errors[0];
            var more = result.Errors.Count > 1 ? $" (and {result.Errors.Count - 1} more)" : "";
            throw new CleanroomException(first.Code, $"{source}:{first.Line}:{first.Column} {first.Path}: {first.Message}{more}");
        }
        logger.LogInformation("checkout: {Repository} at {Commit} (branch {Branch}), policy {Source}", display, commit, branch ?? "none", source);
        return new FetchedRepository(route, commit, branch, defaultBranch, source, result.Policy!, result.Warnings);
    }

    /// <summary>
    /// The loaded policy must let its own repository stage (or, for a legacy policy, every stage) reach the repository:
    /// the server fetched it on the sandbox's behalf. <c>host_not_allowed</c> otherwise, before anything is made.
    /// </summary>
    public static void RequireAllowed(FetchedRepository fetched, CompiledPolicy policy, bool allowAll)
    {
        var route = fetched.Route;
        if (allowAll || policy.Network.Repository.Any(rule => rule.Host == route.Host && rule.Ports.Contains(route.Port)))
            return;
        throw new CleanroomException(ErrorCode.HostNotAllowed,
            $"{fetched.PolicySource} does not allow {route.Host}:{route.Port} in its repository stage (repository.network.allow, or sandbox.network.allow), " +
            "so the server does not check the repository out for it");
    }

    /// <summary>Where the upstream is (by the sandboxes' resolver rules, never a refused address) and the host's credential for it.</summary>
    internal async Task<(IPAddress Address, AuthenticationHeaderValue? Authorization)> UpstreamAsync(GitRoute route, CancellationToken cancellationToken)
    {
        var refusals = new List<string>();
        IPAddress? usable = null;
        foreach (var address in await networks.ResolveOnHostAsync(route.Host, cancellationToken).ConfigureAwait(false))
        {
            if (gateway.Addresses.WhyRefused(address) is { } why)
                refusals.Add($"{address}: {why}");
            else
                usable ??= address;
        }
        if (usable is null)
        {
            throw new CleanroomException(ErrorCode.RepositoryCheckoutFailed,
                $"{route.Host} has no address the server may fetch from" + (refusals.Count == 0 ? "" : $" ({string.Join("; ", refusals)})"));
        }

        try
        {
            return (usable, await gateway.Credentials.AuthorizationForAsync(route.Host, RepositoryMirrors.RepositoryPath(route), cancellationToken).ConfigureAwait(false));
        }
        catch (CredentialUnavailableException e)
        {
            throw new CleanroomException(e.Code, $"the host's credential for {route.Host} cannot be had ({e.Code}); see cleanroom doctor and the server log");
        }
    }

    internal async Task<string?> RevParseAsync(string gitDirectory, string revision, CancellationToken cancellationToken)
    {
        var result = await _git.TryRunAsync(["git", "--git-dir", gitDirectory, "rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"],
            gitDirectory, null, null, TimeSpan.FromMinutes(1), Mirrors.Isolated, cancellationToken).ConfigureAwait(false);
        return result is { Succeeded: true } ? result.StdoutText.Trim() : null;
    }

    /// <summary>A branch first, then a tag (or a full <c>refs/...</c> name); the branch name when it is one.</summary>
    private async Task<(string Commit, string? Branch)?> ResolveRefAsync(string mirror, string reference, CancellationToken cancellationToken)
    {
        var branch = reference.StartsWith("refs/heads/", StringComparison.Ordinal) ? reference["refs/heads/".Length..]
            : reference.StartsWith("refs/", StringComparison.Ordinal) ? null : reference;
        if (branch is not null && await RevParseAsync(mirror, $"refs/heads/{branch}", cancellationToken).ConfigureAwait(false) is { } tip)
            return (tip, branch);
        var full = reference.StartsWith("refs/", StringComparison.Ordinal) ? reference : $"refs/tags/{reference}";
        return await RevParseAsync(mirror, full, cancellationToken).ConfigureAwait(false) is { } tagged ? (tagged, null) : null;
    }

    private async Task<(string File, string Text)?> ReadPolicyAsync(string mirror, string commit, CancellationToken cancellationToken)
    {
        foreach (var file in PolicyFiles)
        {
            var result = await _git.TryRunAsync(["git", "--git-dir", mirror, "cat-file", "blob", $"{commit}:{file}"], mirror, null, null,
                TimeSpan.FromMinutes(1), Mirrors.Isolated, cancellationToken).ConfigureAwait(false);
            if (result is { Succeeded: true })
                return (file, result.StdoutText);
        }
        return null;
    }

    private static string? CheckCommit(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var commit = text.ToLowerInvariant();
        return CommitId().IsMatch(commit) ? commit
            : throw new CleanroomException(ErrorCode.InvalidArgument, "repository_checkout.commit must be a full commit id (40 or 64 hex digits)");
    }

    private static string? CheckRef(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        return RefName().IsMatch(text) && !text.Contains("..", StringComparison.Ordinal) && !text.EndsWith('/') && !text.EndsWith(".lock", StringComparison.Ordinal)
            ? text
            : throw new CleanroomException(ErrorCode.InvalidArgument, $"repository_checkout.ref '{text}' is not a branch or tag name");
    }

    [GeneratedRegex("^(?:[0-9a-f]{40}|[0-9a-f]{64})$")]
    private static partial Regex CommitId();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$")]
    private static partial Regex RefName();
}
