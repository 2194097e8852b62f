using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>registries:</c> section: the package registries the host gateway serves (their base URLs), by protocol. A
/// sandbox is pointed at one (<c>npm_config_registry</c>, <c>PIP_INDEX_URL</c>) only when its policy allows the
/// registry's host and port (<c>GOPROXY</c> for a Go module proxy); the gateway forwards only to these, and only for
/// sandboxes whose active stage allows them.
/// </summary>
public sealed record RegistrySettings(ImmutableArray<Uri> Npm, ImmutableArray<Uri> PyPi, ImmutableArray<Uri> Go)
{
    public static RegistrySettings Defaults { get; } =
        new([new Uri("https://registry.npmjs.org/")], [new Uri("https://pypi.org/simple/")], [new Uri("https://proxy.golang.org/")]);
}
