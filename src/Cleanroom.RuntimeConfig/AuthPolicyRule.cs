using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// One rule of <c>auth.policy</c>: callers whose claims match every pattern of <see cref="Match"/> are allowed or
/// denied, and if allowed, limited to <see cref="Backends"/> and <see cref="Images"/> (null: any) and to
/// <c>--dangerously-allow-all</c> only when <see cref="AllowAll"/>. The first matching rule decides.
/// </summary>
public sealed record AuthPolicyRule(ImmutableArray<ClaimPattern> Match, bool Allow, ImmutableArray<string>? Backends, ImmutableArray<string>? Images, bool AllowAll);

/// <summary>A claim (<c>sub</c>, <c>repository</c>, ...) and a glob its value must match whole (<c>*</c> any run, <c>?</c> one character).</summary>
public sealed record ClaimPattern(string Claim, string Pattern);
