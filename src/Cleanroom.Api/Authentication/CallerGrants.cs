namespace Cleanroom.Api.Authentication;

/// <summary>
/// What the claims policy lets a caller do, decided once per request: whether it may call at all, which backends and
/// images its sandboxes may use (null: any; image patterns are <see cref="ClaimGlob"/>s over the image reference),
/// and whether it may ask for <c>--dangerously-allow-all</c>. <see cref="Reason"/> says which rule decided.
/// </summary>
public sealed record CallerGrants(bool Allowed, string Reason, IReadOnlyList<string>? Backends, IReadOnlyList<string>? Images, bool AllowAll)
{
    public static CallerGrants Unrestricted { get; } = new(true, "no auth.policy is configured", null, null, true);

    /// <summary>
    /// Why a sandbox with this backend and image (either null: not known yet, not checked here) and allow-all is
    /// refused to the caller; null when it is allowed.
    /// </summary>
    public string? RefusalFor(string? backend, string? imageReference, bool allowAll)
    {
        if (!Allowed) return $"the caller is denied: {Reason}";
        if (backend is not null && Backends is not null && !Backends.Contains(backend, StringComparer.Ordinal))
            return $"backend {backend} is not one this caller may use ({Reason} allows {List(Backends)})";
        if (imageReference is not null && Images is not null && !Images.Any(pattern => ClaimGlob.Matches(pattern, imageReference)))
            return $"image {imageReference} is not one this caller may use ({Reason} allows {List(Images)})";
        if (allowAll && !AllowAll)
            return $"--dangerously-allow-all is not granted to this caller ({Reason} has no allow_all: true)";
        return null;
    }

    private static string List(IReadOnlyList<string> items) => items.Count == 0 ? "none" : string.Join(", ", items);
}
