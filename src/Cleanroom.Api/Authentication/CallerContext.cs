using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Authentication;

/// <summary>Where the resolved <see cref="Caller"/> of a request is kept: a feature of its HttpContext.</summary>
public static class CallerContext
{
    /// <summary>The request's caller; anonymous when none was resolved (a host without the gate: tests).</summary>
    public static Caller Caller(this HttpContext http) => http.Features.Get<Caller>() ?? Authentication.Caller.Anonymous;

    internal static void SetCaller(this HttpContext http, Caller caller) => http.Features.Set(caller);
}
