namespace Cleanroom.Policy;

/// <summary>A located and compiled policy file, as <see cref="PolicyLoader.Load"/> returns it.</summary>
public sealed record LoadedPolicy(PolicyLocation Location, PolicyResult Result)
{
    /// <summary>Location warnings followed by compilation warnings, the order a user meets them in.</summary>
    public IReadOnlyList<string> Warnings => [.. Location.Warnings, .. Result.Warnings];
}
