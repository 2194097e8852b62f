using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>The outcome of reading a runtime config: the configuration when it is valid, else every problem found.</summary>
public sealed record RuntimeConfigResult(string Path, bool Exists, RuntimeConfiguration? Configuration, IReadOnlyList<ConfigProblem> Problems)
{
    public bool Valid => Problems.Count == 0;
}

/// <summary>
/// Reads <c>config.yaml</c> strictly: an unknown field anywhere is an error, because a misspelt setting that
/// silently does nothing is how an operator ends up with a weaker sandbox than they asked for.
/// </summary>
public static class RuntimeConfigReader
{
    private const string TopDefaultBackend = "default_backend";
    private const string TopBackends = "backends";
    private const string TopDefaultImage = "default_image";
    private const string TopImages = "images";
    private const string TopNetwork = "network";
    private const string TopWorkspace = "workspace";
    private const string TopWarmPool = "warm_pool";
    private const string TopRoutes = "routes";
    private const string TopGateway = "gateway";
    private const string TopSecrets = "secrets";
    private const string TopBlockCache = "block_cache";
    private const string TopRecords = "records";
    private const string TopAudit = "audit";
    private const string TopListen = "listen";
    private const string TopTls = "tls";
    private const string TopAuth = "auth";
    private const string TopRegistries = "registries";
    private const string TopRegistryCache = "registry_cache";
    private const string TopSandboxLifecycle = "sandbox_lifecycle";
    private const string TopObservability = "observability";

    /// <summary>Reads the file; a missing file is valid and means "all defaults".</summary>
    public static RuntimeConfigResult ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return new RuntimeConfigResult(path, false, RuntimeConfiguration.Empty, []);
        }

        var result = Parse(File.ReadAllText(path));
        return result with { Path = path, Exists = true };
    }

    public static RuntimeConfigResult Parse(string yamlText)
    {
        var problems = new List<ConfigProblem>();
        var root = LoadRoot(yamlText, problems);
        if (root is null)
        {
            return new RuntimeConfigResult("", true, null, problems);
        }

        string? defaultBackend = null;
        string? defaultImage = null;
        var images = ImageSettings.Defaults;
        var network = NetworkSettings.Defaults;
        var workspace = WorkspaceSettings.Defaults;
        var warmPool = WarmPoolSettings.Defaults;
        var routes = RouteSettings.Defaults;
        var gateway = GatewaySettings.Defaults;
        var secrets = SecretSettings.None;
        var blockCache = BlockCacheSettings.Defaults;
        var records = RecordSettings.Defaults;
        var audit = AuditSettings.Defaults;
        var listen = System.Collections.Immutable.ImmutableArray<string>.Empty;
        var tls = TlsSettings.Defaults;
        var auth = AuthSettings.Defaults;
        var registries = RegistrySettings.Defaults;
        var registryCache = RegistryCacheSettings.Defaults;
        var lifecycle = SandboxLifecycleSettings.Defaults;
        var observability = ObservabilitySettings.Defaults;
        var backends = ImmutableSortedDictionary.CreateBuilder<string, ImmutableSortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            switch (key)
            {
                case TopDefaultBackend:
                    defaultBackend = ReadDefaultBackend(value, problems);
                    break;
                case TopBackends:
                    ReadBackends(value, backends, problems);
                    break;
                case TopDefaultImage:
                    defaultImage = ReadDefaultImage(value, problems);
                    break;
                case TopNetwork:
                    network = NetworkSectionReader.Read(value, problems) ?? NetworkSettings.Defaults;
                    break;
                case TopImages:
                    images = ImagesSectionReader.Read(value, problems) ?? ImageSettings.Defaults;
                    break;
                case TopWorkspace:
                    workspace = WorkspaceSectionReader.Read(value, problems) ?? WorkspaceSettings.Defaults;
                    break;
                case TopWarmPool:
                    warmPool = WarmPoolSectionReader.Read(value, problems) ?? WarmPoolSettings.Defaults;
                    break;
                case TopRoutes:
                    routes = RoutesSectionReader.Read(value, problems) ?? RouteSettings.Defaults;
                    break;
                case TopGateway:
                    gateway = GatewaySectionReader.Read(value, problems) ?? GatewaySettings.Defaults;
                    break;
                case TopSecrets:
                    secrets = SecretsSectionReader.Read(value, problems);
                    break;
                case TopRecords:
                    records = RecordsSectionReader.Read(value, problems) ?? RecordSettings.Defaults;
                    break;
                case TopAudit:
                    audit = AuditSectionReader.Read(value, problems) ?? AuditSettings.Defaults;
                    break;
                case TopBlockCache:
                    blockCache = BlockCacheSectionReader.Read(value, problems) ?? BlockCacheSettings.Defaults;
                    break;
                case TopListen:
                    listen = ListenSectionReader.Read(value, problems);
                    break;
                case TopTls:
                    tls = TlsSectionReader.Read(value, problems) ?? TlsSettings.Defaults;
                    break;
                case TopAuth:
                    auth = AuthSectionReader.Read(value, problems) ?? AuthSettings.Defaults;
                    break;
                case TopRegistries:
                    registries = RegistriesSectionReader.Read(value, problems) ?? RegistrySettings.Defaults;
                    break;
                case TopRegistryCache:
                    registryCache = RegistryCacheSectionReader.Read(value, problems) ?? RegistryCacheSettings.Defaults;
                    break;
                case TopSandboxLifecycle:
                    lifecycle = SandboxLifecycleSectionReader.Read(value, problems) ?? SandboxLifecycleSettings.Defaults;
                    break;
                case TopObservability:
                    observability = ObservabilitySectionReader.Read(value, problems) ?? ObservabilitySettings.Defaults;
                    break;
                default:
                    problems.Add(At(keyNode, key, $"unknown field '{key}'; known fields are {TopDefaultBackend}, {TopDefaultImage}, {TopImages}, {TopNetwork}, {TopWorkspace}, {TopWarmPool}, {TopRoutes}, {TopGateway}, {TopSecrets}, {TopBlockCache}, {TopRecords}, {TopAudit}, {TopRegistries}, {TopRegistryCache}, {TopListen}, {TopTls}, {TopAuth}, {TopSandboxLifecycle}, {TopObservability}, {TopBackends}"));
                    break;
            }
        }

        return problems.Count == 0
            ? new RuntimeConfigResult("", true, new RuntimeConfiguration(defaultBackend, backends.ToImmutable())
            {
                DefaultImage = defaultImage ?? RuntimeConfiguration.BuiltInDefaultImage,
                Images = images,
                Network = network,
                Workspace = workspace,
                WarmPool = warmPool,
                SandboxLifecycle = lifecycle,
                Routes = routes,
                Gateway = gateway,
                Secrets = secrets,
                BlockCache = blockCache,
                Records = records,
                Audit = audit,
                Listen = listen,
                Tls = tls,
                Auth = auth,
                Registries = registries,
                RegistryCache = registryCache,
                Observability = observability,
            }, problems)
            : new RuntimeConfigResult("", true, null, problems);
    }

    private static YamlMappingNode? LoadRoot(string yamlText, List<ConfigProblem> problems)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yamlText));
        }
        catch (YamlException e)
        {
            problems.Add(new ConfigProblem("", (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {e.Message}"));
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            return new YamlMappingNode(); // an empty file means every default
        }

        if (stream.Documents.Count > 1)
        {
            problems.Add(new ConfigProblem("", 0, 0, "the file holds more than one YAML document"));
            return null;
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" })
        {
            return new YamlMappingNode();
        }

        if (root is not YamlMappingNode mapping)
        {
            problems.Add(At(root, "", "the top level must be a mapping of settings"));
            return null;
        }

        if (!AllKeysAreScalars(mapping, "", problems))
        {
            return null;
        }

        return mapping;
    }

    private static string? ReadDefaultBackend(YamlNode value, List<ConfigProblem> problems)
    {
        if (value is not YamlScalarNode scalar)
        {
            problems.Add(At(value, TopDefaultBackend, "must be a backend name"));
            return null;
        }

        var name = scalar.Value ?? "";
        if (name.Length == 0)
        {
            return null; // blank means "pick the strongest backend that works here"
        }

        if (BackendSectionSchema.Find(name) is null)
        {
            problems.Add(At(value, TopDefaultBackend, $"unknown backend '{name}'; known backends are {KnownBackendList()}"));
        }

        return name;
    }

    private static string? ReadDefaultImage(YamlNode value, List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: { Length: > 0 } reference } && !reference.Any(char.IsWhiteSpace))
        {
            return reference;
        }

        problems.Add(At(value, TopDefaultImage, "must be an image reference such as cleanroom.local/debian:latest"));
        return null;
    }

    private static void ReadBackends(
        YamlNode value,
        ImmutableSortedDictionary<string, ImmutableSortedDictionary<string, string>>.Builder backends,
        List<ConfigProblem> problems)
    {
        if (value is YamlScalarNode { Value: null or "" })
        {
            return;
        }

        if (value is not YamlMappingNode mapping)
        {
            problems.Add(At(value, TopBackends, "must be a mapping of backend name to settings"));
            return;
        }

        if (!AllKeysAreScalars(mapping, TopBackends, problems))
        {
            return;
        }

        foreach (var (keyNode, section) in mapping.Children)
        {
            var backend = ((YamlScalarNode)keyNode).Value ?? "";
            var path = $"{TopBackends}.{backend}";
            var schema = BackendSectionSchema.Find(backend);
            if (schema is null)
            {
                problems.Add(At(keyNode, path, $"unknown backend '{backend}'; known backends are {KnownBackendList()}"));
                continue;
            }

            var settings = BackendSectionReader.Read(schema, section, path, problems);
            if (settings is not null)
            {
                backends[backend] = settings;
            }
        }
    }

    /// <summary>The entries of a section that must be a mapping with scalar keys; an empty value has none.</summary>
    internal static IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> MappingEntries(YamlNode node, string path, List<ConfigProblem> problems)
    {
        if (node is YamlScalarNode { Value: null or "" })
            yield break;
        if (node is not YamlMappingNode mapping)
        {
            problems.Add(At(node, path, "must be a mapping"));
            yield break;
        }
        if (!AllKeysAreScalars(mapping, path, problems))
            yield break;
        foreach (var (key, value) in mapping.Children)
            yield return (((YamlScalarNode)key).Value!, key, value);
    }

    /// <summary>A scalar that passes <paramref name="valid"/>, else null with a problem saying <paramref name="message"/>.</summary>
    internal static string? ValidScalar(YamlNode node, string path, Func<string, bool> valid, string message, List<ConfigProblem> problems)
    {
        if (node is YamlScalarNode { Value: { } text } && valid(text))
            return text;
        problems.Add(At(node, path, message));
        return null;
    }

    internal static bool AllKeysAreScalars(YamlMappingNode mapping, string path, List<ConfigProblem> problems)
    {
        // Duplicate keys never get here: YamlDotNet rejects them while loading, with their position.
        var ok = true;
        foreach (var keyNode in mapping.Children.Keys)
        {
            if (keyNode is not YamlScalarNode { Value: not null })
            {
                problems.Add(At(keyNode, path, "keys must be plain names"));
                ok = false;
            }
        }

        return ok;
    }

    internal static ConfigProblem At(YamlNode node, string path, string message) =>
        new(path, (int)node.Start.Line, (int)node.Start.Column, message);

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string KnownBackendList() => string.Join(", ", BackendSectionSchema.Known.Select(s => s.Backend));
}
