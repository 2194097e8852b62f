using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Cleanroom.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// One gateway request, start to end: who is calling (by the connection's addresses, never by anything the request
/// says), what the request is (<see cref="GatewayRequestTarget"/>), whether the caller's policy allows the upstream,
/// the upstream leg through the caller's own client with the host's credential (git) or the caller's bound secrets
/// (secrets), and the audit record.
/// </summary>
internal sealed class GatewayRequestHandler(
    GatewayCallers callers,
    Func<string, UpstreamClient?> clientOf,
    GatewayCredentials credentials,
    HostSecrets secrets,
    IHttpForwarder forwarder,
    GatewayAudit audit,
    RepositoryMirrors mirrors,
    UpstreamAddressPolicy addresses,
    ILogger logger,
    Registries.RegistryRequestHandler registries)
{
    private static readonly ForwarderRequestConfig Config = new()
    {
        ActivityTimeout = TimeSpan.FromMinutes(10),
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    public async Task HandleAsync(HttpContext context)
    {
        var connection = context.Connection;
        var caller = callers.Identify(connection.RemoteIpAddress, connection.LocalIpAddress);
        if (caller is null)
        {
            logger.LogInformation("gateway: refused a request from {Remote} to {Local}: not a live sandbox's link", connection.RemoteIpAddress, connection.LocalIpAddress);
            await GatewayResponses.RefuseAsync(context, new GatewayRefusal(403, ErrorCode.GatewayCallerUnknown,
                "only a sandbox, from its own link address, may use the gateway"));
            return;
        }

        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var route = GatewayRequestTarget.Parse(request.Method, rawTarget, request.Headers.Host.ToString(), caller.GatewayAuthority, request.Headers);
        switch (route)
        {
            case RefusedRoute refused:
                await DenyAsync(context, caller, refused.Refusal, null);
                return;
            case MetaRoute:
                var written = await GatewayResponses.WriteJsonAsync(context, new JsonObject
                {
                    ["sandbox_id"] = caller.SandboxId,
                    ["policy_hash"] = caller.PolicyHash,
                    ["gateway"] = caller.GatewayAuthority,
                });
                Record(context, caller, "meta", null, true, "ok", 0, written, false);
                return;
            case GitRoute git:
                await ForwardGitAsync(context, caller, git);
                return;
            case SecretsRoute secretsRoute:
                await ForwardSecretsAsync(context, caller, secretsRoute);
                return;
            case Registries.RegistryRoute registry:
                await registries.HandleAsync(context, caller, registry, clientOf(caller.SandboxId));
                return;
            case Registries.DownloadRoute download:
                await registries.HandleAsync(context, caller, download, clientOf(caller.SandboxId));
                return;
        }
    }

    /// <summary>
    /// <c>/secrets/HOST[:PORT]/PATH</c>: the destination must be allowed by the caller's active stage; every placeholder
    /// of the caller's in the headers must belong to a binding that covers the destination, in the binding's header and
    /// form (<see cref="SecretHeaders"/>), else nothing is sent. The values are read now and exist only in the upstream
    /// request; the audit records whether one was added, never which value.
    /// </summary>
    private async Task ForwardSecretsAsync(HttpContext context, GatewayCaller caller, SecretsRoute route)
    {
        var target = new Destination(route.Host, route.Port, route.UpstreamPathAndQuery.Split('?')[0]);
        if (caller.Network.AllowedPortsFor(route.Host) is not { } ports || (ports.Length > 0 && !ports.Contains(route.Port)))
        {
            await DenyAsync(context, caller, new GatewayRefusal(403, ErrorCode.HostNotAllowed,
                $"{route.Host}:{route.Port} is not allowed by this sandbox's policy", "secrets"), target);
            return;
        }

        var plan = SecretHeaders.Plan(caller.Secrets, route.Host, route.Port,
            context.Request.Headers.Select(h => (h.Key, (IReadOnlyList<string>)h.Value.Select(v => v ?? "").ToArray())));
        if (plan.Refusal is { } refusal)
        {
            logger.LogInformation("gateway: {Sandbox} secrets {Host}:{Port}: refused, {Reason}", caller.SandboxId, route.Host, route.Port, refusal.Message);
            await DenyAsync(context, caller, refusal, target);
            return;
        }

        var headers = new List<(string Header, string Value)>();
        try
        {
            foreach (var (header, secret) in plan.Sets)
                headers.Add((header, secret.Binding.Render(secrets.Value(secret.Binding.Id))));
        }
        catch (CredentialUnavailableException e)
        {
            logger.LogWarning("gateway: {Message}", e.Message);
            await DenyAsync(context, caller, new GatewayRefusal(502, ErrorCode.SecretUnavailable,
                $"{e.Message}; ask the host's operator (cleanroom doctor)", "secrets"), target);
            return;
        }

        if (clientOf(caller.SandboxId) is not { } client)
        {
            await DenyAsync(context, caller, new GatewayRefusal(403, ErrorCode.GatewayCallerUnknown, "the sandbox is going away", "secrets"), target);
            return;
        }

        await ForwardAsync(context, caller, "secrets", target, route.UpstreamUri, client, new SecretsTransformer(route, headers), headers.Count > 0);
    }

    private async Task ForwardGitAsync(HttpContext context, GatewayCaller caller, GitRoute route)
    {
        if (caller.Network.AllowedPortsFor(route.Host) is not { } ports || (ports.Length > 0 && !ports.Contains(route.Port)))
        {
            await DenyAsync(context, caller, new GatewayRefusal(403, ErrorCode.HostNotAllowed,
                $"{route.Host}:{route.Port} is not allowed by this sandbox's policy", "git"), Of(route));
            return;
        }

        AuthenticationHeaderValue? authorization;
        try
        {
            authorization = await credentials.AuthorizationForAsync(route.Host, RepositoryMirrors.RepositoryPath(route), context.RequestAborted);
        }
        catch (CredentialUnavailableException e)
        {
            logger.LogWarning("gateway: {Message}", e.Message);
            await DenyAsync(context, caller, new GatewayRefusal(502, e.Code,
                $"the host's credential for {route.Host} cannot be had ({e.Code}); ask the host's operator (cleanroom doctor, the server log)", "git"), Of(route));
            return;
        }

        if (clientOf(caller.SandboxId) is not { } client)
        {
            await DenyAsync(context, caller, new GatewayRefusal(403, ErrorCode.GatewayCallerUnknown, "the sandbox is going away", "git"), Of(route));
            return;
        }

        if (authorization is not null && await TryMirrorAsync(context, caller, route, authorization))
            return;

        await ForwardAsync(context, caller, "git", Of(route), route.UpstreamUri, client, new GitTransformer(route, authorization), authorization is not null);
    }

    /// <summary>The upstream leg (YARP: both bodies stream), its audit record, and a refusal when it fails before a response started.</summary>
    private async Task ForwardAsync(HttpContext context, GatewayCaller caller, string service, Destination target, Uri upstream, UpstreamClient client,
        HttpTransformer transformer, bool credential)
    {
        var requestBody = new CountingStream(context.Request.Body);
        var responseBody = new CountingStream(context.Response.Body);
        context.Request.Body = requestBody;
        context.Response.Body = responseBody;
        var error = await forwarder.SendAsync(context, $"{upstream.GetLeftPart(UriPartial.Authority)}/", client.Invoker, Config, transformer);
        if (error == ForwarderError.None)
        {
            Record(context, caller, service, target, true, "ok", requestBody.Count, responseBody.Count, credential);
            return;
        }

        var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        // Only the gateway's own refusal text is passed to the sandbox; other exceptions are summarised by YARP's error name.
        var detail = FindRefusal(failure)?.Message ?? $"{error}";
        logger.LogInformation("gateway: {Sandbox} {Service} {Host}:{Port} failed upstream: {Error} {Detail}", caller.SandboxId, service, target.Host, target.Port, error, failure?.Message);
        if (!context.Response.HasStarted)
        {
            context.Response.Body = responseBody;
            await GatewayResponses.RefuseAsync(context, new GatewayRefusal(502, ErrorCode.GatewayUpstreamFailed,
                $"the gateway could not complete the request to {target.Host}:{target.Port}: {detail}", service));
        }

        Record(context, caller, service, target, false, ErrorCode.GatewayUpstreamFailed, requestBody.Count, responseBody.Count, credential);
    }

    /// <summary>
    /// Serves a fetch (<c>POST git-upload-pack</c> wanting objects) from the host's mirror of the repository, filling it
    /// from the upstream first on a miss. Returns false, with the request body restored, when the request is not such a
    /// fetch or the mirror cannot serve it before anything was sent: the caller then proxies it upstream.
    /// </summary>
    private async Task<bool> TryMirrorAsync(HttpContext context, GatewayCaller caller, GitRoute route, AuthenticationHeaderValue authorization)
    {
        var request = context.Request;
        if (route.Push || !route.UpstreamPathAndQuery.EndsWith("/git-upload-pack", StringComparison.Ordinal)
            || request.ContentLength is not (> 0 and <= UploadPackRequest.MaximumBody) || request.Headers.ContentEncoding.Count > 1)
            return false;
        var body = new byte[request.ContentLength.Value];
        await request.Body.ReadExactlyAsync(body, context.RequestAborted);
        request.Body = new MemoryStream(body);
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding is not ("" or "gzip") || UploadPackRequest.Parse(body, encoding == "gzip") is not { IsFetch: true } fetch)
            return false;

        var responseBody = new CountingStream(context.Response.Body);
        bool hit;
        using var lease = mirrors.Lease(route);
        try
        {
            var refusals = new List<string>();
            var address = (await UpstreamClient.AllowedAddressesAsync(caller, addresses, route.Host, route.Port, refusals, context.RequestAborted)).FirstOrDefault()
                ?? throw new UpstreamRefusedException(string.Join("; ", refusals));
            hit = await mirrors.EnsureAsync(route, fetch.Wants, address, authorization, context.RequestAborted);
            context.Response.ContentType = "application/x-git-upload-pack-result";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Body = responseBody;
            await mirrors.ServeAsync(route, fetch, request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol ? protocol : null,
                responseBody, context.RequestAborted);
        }
        catch (Exception e) when (e is CleanroomException or UpstreamRefusedException or IOException && !context.Response.HasStarted)
        {
            logger.LogInformation("gateway: {Sandbox} git {Host}:{Port}: the mirror cannot serve this fetch ({Reason}); proxying it", caller.SandboxId, route.Host, route.Port, e.Message);
            request.Body = new MemoryStream(body);
            context.Response.Body = responseBody.Inner;
            return false;
        }

        Record(context, caller, "git", Of(route), true, "ok", body.Length, responseBody.Count, true, hit ? "hit" : "miss");
        return true;
    }

    private async Task DenyAsync(HttpContext context, GatewayCaller caller, GatewayRefusal refusal, Destination? target)
    {
        await GatewayResponses.RefuseAsync(context, refusal);
        Record(context, caller, refusal.Service, target, false, refusal.Code, 0, 0, false);
    }

    private void Record(HttpContext context, GatewayCaller caller, string service, Destination? target, bool allowed, string reason, long bytesIn, long bytesOut,
        bool credential, string? mirror = null) =>
        audit.Record(new GatewayRequestRecord(caller, service, context.Request.Method, target?.Host, target?.Port,
            target?.Path, allowed, reason, context.Response.StatusCode, bytesIn, bytesOut, credential, mirror));

    private static Destination Of(GitRoute route) => new(route.Host, route.Port, route.UpstreamPathAndQuery.Split('?')[0]);

    /// <summary>What the audit names of a request's upstream: host, port and path (no query, no header).</summary>
    private sealed record Destination(string Host, int Port, string Path);

    private static UpstreamRefusedException? FindRefusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is UpstreamRefusedException refused)
                return refused;
        }

        return null;
    }
}
