namespace Cleanroom.Policy;

/// <summary>
/// The outcome of compiling a policy: the compiled policy when <see cref="Valid"/>, otherwise every error
/// found (never just the first). Warnings do not make a policy invalid.
/// </summary>
public sealed record PolicyResult(
    bool Valid,
    CompiledPolicy? Policy,
    IReadOnlyList<PolicyError> Errors,
    IReadOnlyList<string> Warnings);
