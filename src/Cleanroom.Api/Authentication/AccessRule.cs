namespace Cleanroom.Api.Authentication;

/// <summary>
/// One rule of the claims policy as the API takes it from the runtime config's <c>auth.policy</c>: callers whose
/// claims match every <see cref="Match"/> pattern are allowed or denied; an allowing rule may limit the backends and
/// images (null: any) and grants <c>--dangerously-allow-all</c> only with <see cref="AllowAll"/>.
/// </summary>
public sealed record AccessRule(IReadOnlyList<ClaimMatch> Match, bool Allow, IReadOnlyList<string>? Backends, IReadOnlyList<string>? Images, bool AllowAll);

/// <summary>A claim name and the <see cref="ClaimGlob"/> pattern its value must match.</summary>
public sealed record ClaimMatch(string Claim, string Pattern);
