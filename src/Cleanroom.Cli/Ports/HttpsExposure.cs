using Cleanroom.Errors;
using ExposeHttps = Cleanroom.Policy.ExposeHttps;
using HttpsRoute = Cleanroom.Api.V1.HttpsRoute;

namespace Cleanroom.Cli.Ports;

/// <summary>
/// <c>--expose-https</c>: <c>NAME:GUEST_PORT</c> values, and without a value the routes of the policy's
/// <c>expose.https</c> section (its <c>{base}</c> and <c>{sandbox_id}</c> filled in for the sandbox).
/// </summary>
internal sealed record HttpsExposure(bool FromPolicy, IReadOnlyList<(string Name, ushort GuestPort)> Named)
{
    public static HttpsExposure None { get; } = new(false, []);

    public bool Any => FromPolicy || Named.Count > 0;

    /// <param name="given">Whether the flag appeared at all (a bare <c>--expose-https</c> has no values).</param>
    public static HttpsExposure Parse(bool given, IReadOnlyList<string> values) =>
        !given ? None : new HttpsExposure(values.Count == 0, values.Select(ParseOne).ToList());

    private static (string, ushort) ParseOne(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text[(colon + 1)..], out var port) || port == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, $"--expose-https '{text}': the form is NAME:GUEST_PORT, e.g. web:3000");
        return (text[..colon], port);
    }

    /// <summary>The routes to ask for; <paramref name="policy"/> is read only for a bare flag.</summary>
    public IReadOnlyList<HttpsRoute> Routes(string sandboxId, Func<ExposeHttps?> policy)
    {
        var routes = Named.Select(n => new HttpsRoute { Name = n.Name, GuestPort = n.GuestPort }).ToList();
        if (!FromPolicy)
            return routes;
        var section = policy();
        if (section is null || section.Routes.Length == 0)
            throw new CleanroomException(ErrorCode.InvalidArgument, "--expose-https without NAME:PORT uses the policy's expose.https routes, and the policy has none");
        var baseHost = (section.Base ?? "{sandbox_id}.cleanroom.localhost").Replace("{sandbox_id}", sandboxId, StringComparison.Ordinal);
        foreach (var route in section.Routes)
        {
            var request = new HttpsRoute { GuestPort = (uint)route.Port };
            request.Hosts.AddRange(route.Hosts.Select(h => h.Replace("{base}", baseHost, StringComparison.Ordinal).Replace("{sandbox_id}", sandboxId, StringComparison.Ordinal)));
            routes.Add(request);
        }
        return routes;
    }
}
