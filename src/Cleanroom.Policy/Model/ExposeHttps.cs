using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// Named HTTPS routes from <c>expose.https</c> that <c>--expose-https</c> can use without repeating them.
/// These are ingress host templates (<c>{base}</c>, <c>{sandbox_id}</c>, <c>*.{base}</c>), not egress rules,
/// which is why wildcards are fine here. Routes are ordered by port and hosts are sorted and distinct.
/// </summary>
public sealed record ExposeHttps(string? Base, ImmutableArray<HttpsRoute> Routes);

/// <summary>Requests for any of <see cref="Hosts"/> go to <see cref="Port"/> inside the sandbox.</summary>
public sealed record HttpsRoute(int Port, ImmutableArray<string> Hosts);
