using System.Text.Json.Serialization;

namespace Cleanroom.Images.Oci;

/// <summary>
/// An OCI image configuration. <c>created</c> is left out on purpose: it would make two imports of the same
/// tarball differ; the import time is kept in index.json instead.
/// </summary>
internal sealed record OciImageConfig(
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("config")] OciRuntimeConfig? Config,
    [property: JsonPropertyName("rootfs")] OciRootfs Rootfs)
{
    [JsonPropertyName("created")]
    public string? Created { get; init; }

    [JsonPropertyName("history")]
    public IReadOnlyList<OciHistory>? History { get; init; }
}

/// <summary>The execution defaults; field names are the spec's, capitalised as it writes them.</summary>
internal sealed record OciRuntimeConfig
{
    [JsonPropertyName("User")]
    public string? User { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Entrypoint")]
    public IReadOnlyList<string>? Entrypoint { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; init; }
}

internal sealed record OciRootfs(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("diff_ids")] IReadOnlyList<string> DiffIds);

internal sealed record OciHistory(
    [property: JsonPropertyName("created_by")] string CreatedBy);
