using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// <c>registries.npm.lockfile_enforcement</c>: the npm packages a sandbox may download through the gateway are the ones
/// the repository's lockfile names (<see cref="Packages"/>, <c>NAME@VERSION</c>, read from <see cref="Lockfile"/> when the
/// policy was compiled, so the policy hash covers them). A tarball no entry names is refused (<see cref="DenyUnknown"/>)
/// or served with a warning event (<see cref="Warn"/>), either way as <c>lockfile_violation</c>.
/// </summary>
public sealed record NpmLockfilePolicy(string Lockfile, string Mode, ImmutableArray<string> Packages)
{
    public const string DenyUnknown = "deny_unknown";
    public const string Warn = "warn";

    public bool Denies => Mode == DenyUnknown;

    public bool Names(string name, string version) => Packages.BinarySearch($"{name}@{version}", StringComparer.Ordinal) >= 0;
}
