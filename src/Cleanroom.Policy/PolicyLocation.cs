namespace Cleanroom.Policy;

/// <summary>
/// Which policy file applies: its full path, the git repository root it was found under (null outside a
/// repository), and warnings such as a <c>.buildkite/cleanroom.yaml</c> that was shadowed.
/// </summary>
public sealed record PolicyLocation(string PolicyPath, string? RepositoryRoot, IReadOnlyList<string> Warnings);
