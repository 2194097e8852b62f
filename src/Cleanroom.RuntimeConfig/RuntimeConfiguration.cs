using System.Collections.Immutable;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The host's runtime config (<c>config.yaml</c>): operator choices that never belong in a repository's
/// policy. Backend sections are kept as validated string settings; each backend reads its own.
/// </summary>
public sealed record RuntimeConfiguration(
    string? DefaultBackend,
    ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>> Backends)
{
    /// <summary>
    /// The image <c>cleanroom init</c> pins new policies to when none is named. <c>scripts/setup.sh</c> builds it
    /// from Debian packages and imports it under this name; the <c>.local</c> registry says it is never pulled.
    /// </summary>
    public const string BuiltInDefaultImage = "cleanroom.local/debian:latest";

    public static RuntimeConfiguration Empty { get; } = new(
        null, ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Empty);

    /// <summary>Sandbox networks and the policy resolver (<c>network:</c>).</summary>
    public NetworkSettings Network { get; init; } = NetworkSettings.Defaults;

    /// <summary>Limits on what a sandbox sends back (<c>workspace:</c>).</summary>
    public WorkspaceSettings Workspace { get; init; } = WorkspaceSettings.Defaults;

    /// <summary>Spare sandboxes kept ready for the next create of the same spec (<c>warm_pool:</c>).</summary>
    public WarmPoolSettings WarmPool { get; init; } = WarmPoolSettings.Defaults;

    /// <summary>Idle suspend and the wake timeout (<c>sandbox_lifecycle:</c>).</summary>
    public SandboxLifecycleSettings SandboxLifecycle { get; init; } = SandboxLifecycleSettings.Defaults;

    /// <summary><c>block_cache:</c>, the bound of setup blocks' cached outputs.</summary>
    public BlockCacheSettings BlockCache { get; init; } = BlockCacheSettings.Defaults;

    /// <summary><c>registries:</c>, the package registries the host gateway serves.</summary>
    public RegistrySettings Registries { get; init; } = RegistrySettings.Defaults;

    /// <summary><c>registry_cache:</c>, the bound of the gateway's package cache and its metadata lifetime.</summary>
    public RegistryCacheSettings RegistryCache { get; init; } = RegistryCacheSettings.Defaults;

    /// <summary><c>records:</c>, how long ended sandboxes' records are kept.</summary>
    public RecordSettings Records { get; init; } = RecordSettings.Defaults;

    /// <summary>The audit log: file, rotation size, rotated files kept, retention.</summary>
    public AuditSettings Audit { get; init; } = AuditSettings.Defaults;

    public ObservabilitySettings Observability { get; init; } = ObservabilitySettings.Defaults;

    /// <summary><c>listen:</c>, the API addresses <c>cleanroom serve</c> listens on besides its <c>--listen</c> flags.</summary>
    public ImmutableArray<string> Listen { get; init; } = [];

    /// <summary><c>tls:</c>, the certificate of https listeners and the client CA for mTLS.</summary>
    public TlsSettings Tls { get; init; } = TlsSettings.Defaults;

    /// <summary><c>auth:</c>, how API callers are identified and whether they must be.</summary>
    public AuthSettings Auth { get; init; } = AuthSettings.Defaults;

    /// <summary>The <c>routes:</c> section: where the HTTPS router for <c>--expose-https</c> listens.</summary>
    public RouteSettings Routes { get; init; } = RouteSettings.Defaults;

    /// <summary>The host gateway (<c>gateway:</c>): its port on each sandbox link and the credentials it adds upstream.</summary>
    public GatewaySettings Gateway { get; init; } = GatewaySettings.Defaults;

    /// <summary>
    /// Secret values the gateway puts into requests for the hosts a policy's <c>secrets:</c> bindings name
    /// (<c>secrets:</c>, id to source). Values live on the host only; a sandbox sees a placeholder.
    /// </summary>
    public ImmutableSortedDictionary<string, SecretSource> Secrets { get; init; } = SecretSettings.None;

    /// <summary>How the server reaches registries (<c>images:</c>).</summary>
    public ImageSettings Images { get; init; } = ImageSettings.Defaults;

    /// <summary>The image reference (usually a tag in the local store) new policies start from.</summary>
    public string DefaultImage { get; init; } = BuiltInDefaultImage;

    /// <summary>The settings of one backend's section, empty when the section is absent.</summary>
    public IReadOnlyDictionary<string, string> BackendSettings(string backend) =>
        Backends.TryGetValue(backend, out var section) ? section : ImmutableSortedDictionary<string, string>.Empty;
}
