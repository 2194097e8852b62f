using Cleanroom.Policy;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Checkouts;

/// <summary>
/// A repository fetched into its host mirror for a server-side checkout: the commit to check out, the branch (if any)
/// it is checked out as, and the policy compiled from that commit. Holds no credential.
/// </summary>
internal sealed record FetchedRepository(
    GitRoute Route,
    string Commit,
    string? Branch,
    string? DefaultBranch,
    string PolicySource,
    CompiledPolicy Policy,
    IReadOnlyList<string> Warnings)
{
    public string Url => RepositoryUrl.Display(Route);

    public string Description => Branch is null ? $"{Url} at {Commit[..12]}" : $"{Url} {Branch} at {Commit[..12]}";
}
