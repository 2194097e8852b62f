using System.Net;
using System.Security.Authentication;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Images.Registry.Distribution;

/// <summary>
/// Turns what a registry (or the network) said into a <see cref="CleanroomException"/> with a stable code and a
/// message that names the registry, the thing asked for, the registry's own error, and a next step.
/// </summary>
internal static class RegistryFailure
{
    public static CleanroomException Unreachable(RepositoryLocation where, Exception e)
    {
        var hint = e is HttpRequestException { InnerException: AuthenticationException } || e.InnerException is AuthenticationException
            ? $"; TLS failed — if {where.Registry} serves plain HTTP, list it in images.insecure_registries"
            : where.BaseUri.Scheme == "https" ? "; if it serves plain HTTP, list it in images.insecure_registries" : "";
        return new CleanroomException(ErrorCode.RegistryUnreachable,
            $"registry {where.Registry} ({where.BaseUri.GetLeftPart(UriPartial.Authority)}) is unreachable: {e.Message}{hint}", e);
    }

    /// <summary>For a response that is not a success: 404 → image_not_found, 401/403 → registry_auth_failed, else unreachable.</summary>
    public static async Task<CleanroomException> FromResponseAsync(
        RepositoryLocation where, HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var detail = await ErrorDetailAsync(response, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new CleanroomException(ErrorCode.ImageNotFound,
                $"{what} was not found in registry {where.Registry}{detail}; check the name, tag and digest"),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new CleanroomException(ErrorCode.RegistryAuthFailed,
                $"registry {where.Registry} refused access to {what} ({status}){detail}; check the credentials (images.credentials or docker login) and that the repository exists"),
            _ => new CleanroomException(ErrorCode.RegistryUnreachable,
                $"registry {where.Registry} answered {status} {response.ReasonPhrase} for {what}{detail}"),
        };
    }

    // The distribution spec's error body: {"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}.
    private static async Task<string> ErrorDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length is 0 or > 64 * 1024)
            {
                return "";
            }

            using var document = JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var parts = errors.EnumerateArray()
                    .Select(error => $"{Text(error, "code")}: {Text(error, "message")}".Trim(' ', ':'))
                    .Where(part => part.Length > 0);
                return ": " + string.Join("; ", parts);
            }
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            // No readable error body; the status says enough.
        }

        return "";
    }

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
