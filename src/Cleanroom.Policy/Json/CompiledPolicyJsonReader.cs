using System.Collections.Immutable;
using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Sections;

namespace Cleanroom.Policy.Json;

/// <summary>
/// Rebuilds a <see cref="CompiledPolicy"/> from canonical JSON received from elsewhere. Each value goes
/// through the same normalisers the compiler uses and must come out unchanged: that one rule checks that
/// hosts are normalised, lists sorted, rules merged and paths canonical, without a second set of validators.
/// The hash is always recomputed; a <c>policy_hash</c> in the input is accepted and ignored.
/// </summary>
internal static class CompiledPolicyJsonReader
{
    public static CompiledPolicy Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Invalid("", "not valid JSON: " + e.Message);
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json throws this for strings it cannot decode, such as unpaired surrogates.
                throw Invalid("", e.Message);
            }
        }
    }

    private static CompiledPolicy Read(JsonElement rootElement)
    {
        var root = Fields(rootElement, "", optional: ["policy_hash", "secrets", "registries"],
            "version", "image", "network", "repository", "resources", "docker", "dependencies", "services", "run", "expose");
        if (Integer(root["version"], "version") != CompiledPolicy.SchemaVersion)
        {
            throw Invalid("version", $"must be {CompiledPolicy.SchemaVersion}");
        }

        var image = ReadImage(root["image"]);
        var network = ReadNetwork(root["network"]);
        var repositoryFields = Fields(root["repository"], "repository", ["enabled"], "path");
        var repositoryPath = Canonical(Text(repositoryFields["path"], "repository.path"), "repository.path", GuestPath.NormalizeRepositoryPath);
        if (repositoryFields.TryGetValue("enabled", out var enabled) && enabled.ValueKind != JsonValueKind.False)
        {
            throw Invalid("repository.enabled", "is written only as false (true is the default and is left out)");
        }
        var resources = ReadResources(root["resources"]);
        var docker = Fields(root["docker"], "docker", [], "required")["required"];
        if (docker.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw Invalid("docker.required", "must be true or false");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var outputs = new List<string>();
        var dependencies = ReadBlocks(root["dependencies"], "dependencies", repositoryPath, names, outputs);
        var services = ReadBlocks(root["services"], "services", repositoryPath, names, outputs);
        var before = Fields(root["run"], "run", [], "before")["before"];
        var runBefore = before.ValueKind == JsonValueKind.Null ? null : Text(before, "run.before");
        if (runBefore is not null && string.IsNullOrWhiteSpace(runBefore))
        {
            throw Invalid("run.before", "must be null rather than blank");
        }

        var expose = ReadExpose(Fields(root["expose"], "expose", [], "https")["https"]);
        var secrets = root.TryGetValue("secrets", out var secretsElement) ? ReadSecrets(secretsElement, network) : [];
        var npmLockfile = root.TryGetValue("registries", out var registriesElement) ? ReadNpmLockfile(registriesElement) : null;
        return new CompiledPolicy(image, network, repositoryPath, resources, docker.GetBoolean(), dependencies, services, runBefore, expose, secrets,
            repositoryEnabled: !repositoryFields.ContainsKey("enabled"), npmLockfile);
    }

    private static ImageReference ReadImage(JsonElement element)
    {
        var fields = Fields(element, "image", [], "ref", "digest");
        var text = Text(fields["ref"], "image.ref");
        var image = ImageReference.Parse(text, out var error) ?? throw Invalid("image.ref", error);
        if (Text(fields["digest"], "image.digest") != image.Digest)
        {
            throw Invalid("image.digest", "does not match the digest in image.ref");
        }

        return image;
    }

    private static StageRules ReadNetwork(JsonElement element)
    {
        var fields = Fields(element, "network", [], "default", "stages");
        if (Text(fields["default"], "network.default") != CompiledPolicy.DenyByDefault)
        {
            throw Invalid("network.default", "must be \"deny\"");
        }

        var stages = Fields(fields["stages"], "network.stages", [], [.. StageRules.StageNames]);
        ImmutableArray<EgressRule> Stage(string name)
        {
            var path = "network.stages." + name;
            var rules = Items(stages[name], path).Select((item, i) =>
            {
                var rule = Fields(item, $"{path}[{i}]", [], "host", "ports");
                var host = Canonical(Text(rule["host"], $"{path}[{i}].host"), $"{path}[{i}].host", HostName.Normalize);
                var ports = Items(rule["ports"], $"{path}[{i}].ports").Select((p, j) =>
                {
                    var port = Integer(p, $"{path}[{i}].ports[{j}]");
                    return port is >= 1 and <= 65535 ? (int)port : throw Invalid($"{path}[{i}].ports[{j}]", "port is out of range 1..65535");
                }).ToImmutableArray();
                if (ports.Length == 0)
                {
                    throw Invalid($"{path}[{i}].ports", "a rule needs at least one port");
                }

                Ascending(ports, $"{path}[{i}].ports", "ports");
                return new EgressRule(host, ports);
            }).ToImmutableArray();
            Ascending(rules.Select(r => r.Host).ToArray(), path, "rules (one per host, by host)");
            return rules;
        }

        return new StageRules(Stage("repository"), Stage("dependencies"), Stage("services"), Stage("execution"));
    }

    private static ResourceRequirements ReadResources(JsonElement element)
    {
        var fields = Fields(element, "resources", [], "vcpus", "memory_bytes", "disk_bytes");
        long? Positive(string name, long max)
        {
            var value = fields[name];
            if (value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            var number = Integer(value, "resources." + name);
            return number >= 1 && number <= max ? number : throw Invalid("resources." + name, "must be null or a positive integer");
        }

        return new ResourceRequirements((int?)Positive("vcpus", int.MaxValue), Positive("memory_bytes", long.MaxValue), Positive("disk_bytes", long.MaxValue));
    }

    private static ImmutableArray<WorkloadBlock> ReadBlocks(
        JsonElement element, string path, string repositoryPath, HashSet<string> names, List<string> outputs) =>
        Items(element, path).Select((item, i) =>
        {
            var at = $"{path}[{i}]";
            var block = Fields(item, at, [], "name", "command", "inputs", "outputs", "env");
            var name = Text(block["name"], at + ".name");
            if (!WorkloadSection.NamePattern().IsMatch(name) || name.Length > 63 || !names.Add(name))
            {
                throw Invalid(at + ".name", $"\"{name}\" is not a valid, unique block name");
            }

            var command = Text(block["command"], at + ".command");
            if (string.IsNullOrWhiteSpace(command))
            {
                throw Invalid(at + ".command", "must not be empty");
            }

            var inputs = Strings(Fields(block["inputs"], at + ".inputs", [], "files")["files"], at + ".inputs.files", WorkloadPaths.NormalizeInput);
            var outputFields = Fields(block["outputs"], at + ".outputs", [], "dirs", "files");
            string? NormalizeOutput(string raw, out string error) => WorkloadPaths.NormalizeOutput(raw, repositoryPath, out error);
            var dirs = Strings(outputFields["dirs"], at + ".outputs.dirs", NormalizeOutput);
            var files = Strings(outputFields["files"], at + ".outputs.files", NormalizeOutput);
            foreach (var output in dirs.Concat(files))
            {
                if (outputs.Any(o => GuestPath.IsSameOrInside(o, output) || GuestPath.IsSameOrInside(output, o)))
                {
                    throw Invalid(at + ".outputs", $"output \"{output}\" repeats or overlaps another output");
                }

                outputs.Add(output);
            }

            return new WorkloadBlock(name, command, inputs, dirs, files, ReadEnv(block["env"], at + ".env"));
        }).ToImmutableArray();

    private static ImmutableSortedDictionary<string, string> ReadEnv(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "must be an object");
        }

        var keys = new List<string>();
        var env = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!WorkloadSection.EnvNamePattern().IsMatch(property.Name))
            {
                throw Invalid(path, $"\"{property.Name}\" is not a valid environment variable name");
            }

            keys.Add(property.Name);
            env[property.Name] = Text(property.Value, path + "." + property.Name);
        }

        Ascending(keys, path, "keys");
        return env.ToImmutable();
    }

    private static ExposeHttps? ReadExpose(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var fields = Fields(element, "expose.https", [], "base", "routes");
        string? baseTemplate = null;
        if (fields["base"].ValueKind != JsonValueKind.Null)
        {
            baseTemplate = Canonical(Text(fields["base"], "expose.https.base"), "expose.https.base",
                (string raw, out string error) => ExposeSection.NormalizeTemplate(raw, allowBase: false, out error));
        }

        var routes = Items(fields["routes"], "expose.https.routes").Select((item, i) =>
        {
            var at = $"expose.https.routes[{i}]";
            var route = Fields(item, at, [], "port", "hosts");
            var port = Integer(route["port"], at + ".port");
            var hosts = Strings(route["hosts"], at + ".hosts",
                (string raw, out string error) => ExposeSection.NormalizeTemplate(raw, allowBase: baseTemplate is not null, out error));
            return port is < 1 or > 65535 || hosts.Length == 0
                ? throw Invalid(at, "a route needs a port in 1..65535 and at least one host")
                : new HttpsRoute((int)port, hosts);
        }).ToImmutableArray();
        Ascending(routes.Select(r => r.Port).ToArray(), "expose.https.routes", "routes (one per port, by port)");
        return baseTemplate is null && routes.Length == 0
            ? throw Invalid("expose.https", "must be null rather than empty")
            : new ExposeHttps(baseTemplate, routes);
    }

    private static ImmutableArray<SecretBinding> ReadSecrets(JsonElement element, StageRules network)
    {
        var bindings = Items(element, "secrets").Select((item, i) =>
        {
            var at = $"secrets[{i}]";
            var fields = Fields(item, at, [], "id", "hosts", "header", "format");
            var id = Canonical(Text(fields["id"], at + ".id"), at + ".id", SecretRules.Id);
            var hosts = Strings(fields["hosts"], at + ".hosts", SecretRules.Destination);
            if (hosts.Length == 0)
            {
                throw Invalid(at + ".hosts", "a binding needs at least one host");
            }

            if (hosts.FirstOrDefault(h => !SecretRules.AllowedSomewhere(network, h)) is { } outside)
            {
                throw Invalid(at + ".hosts", $"{outside} is not allowed by any stage of the network");
            }

            return new SecretBinding(id, hosts,
                Canonical(Text(fields["header"], at + ".header"), at + ".header", SecretRules.Header),
                Canonical(Text(fields["format"], at + ".format"), at + ".format", SecretRules.Format));
        }).ToImmutableArray();
        if (bindings.Length == 0)
        {
            throw Invalid("secrets", "must be left out rather than empty");
        }

        Ascending(bindings.Select(b => b.Id).ToArray(), "secrets", "bindings (one per id, by id)");
        return bindings;
    }

    private static NpmLockfilePolicy ReadNpmLockfile(JsonElement element)
    {
        var npm = Fields(Fields(element, "registries", [], "npm")["npm"], "registries.npm", [], "lockfile_enforcement")["lockfile_enforcement"];
        const string At = "registries.npm.lockfile_enforcement";
        var fields = Fields(npm, At, [], "lockfile", "mode", "packages");
        var lockfile = Text(fields["lockfile"], At + ".lockfile");
        if (lockfile.Length == 0 || lockfile.StartsWith('/') || lockfile.Split('/').Any(s => s is "" or "." or ".."))
            throw Invalid(At + ".lockfile", "must be a path inside the repository");
        var mode = Text(fields["mode"], At + ".mode");
        if (mode is not (NpmLockfilePolicy.DenyUnknown or NpmLockfilePolicy.Warn))
            throw Invalid(At + ".mode", $"must be {NpmLockfilePolicy.DenyUnknown} or {NpmLockfilePolicy.Warn}");
        var packages = Items(fields["packages"], At + ".packages").Select((item, i) => Text(item, $"{At}.packages[{i}]")).ToImmutableArray();
        if (packages.FirstOrDefault(p => p.LastIndexOf('@') <= 0) is { } malformed)
            throw Invalid(At + ".packages", $"\"{malformed}\" is not NAME@VERSION");
        Ascending(packages, At + ".packages", "entries");
        return new NpmLockfilePolicy(lockfile, mode, packages);
    }

    private delegate string? Normalizer(string raw, out string error);

    /// <summary>The value, provided normalising it changes nothing.</summary>
    private static string Canonical(string value, string path, Normalizer normalize)
    {
        var normalized = normalize(value, out var error);
        return normalized is null ? throw Invalid(path, error)
            : normalized != value ? throw Invalid(path, $"\"{value}\" is not in canonical form (expected \"{normalized}\")")
            : value;
    }

    private static ImmutableArray<string> Strings(JsonElement element, string path, Normalizer normalize)
    {
        var values = Items(element, path).Select((item, i) => Canonical(Text(item, $"{path}[{i}]"), $"{path}[{i}]", normalize)).ToImmutableArray();
        Ascending(values, path, "entries");
        return values;
    }

    private static void Ascending<T>(IReadOnlyList<T> values, string path, string what)
    {
        var comparer = typeof(T) == typeof(string) ? (IComparer<T>)StringComparer.Ordinal : Comparer<T>.Default;
        for (var i = 1; i < values.Count; i++)
        {
            if (comparer.Compare(values[i - 1], values[i]) >= 0)
            {
                throw Invalid(path, $"{what} must be sorted ascending without duplicates");
            }
        }
    }

    private static Dictionary<string, JsonElement> Fields(JsonElement element, string path, string[] optional, params string[] required)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "must be an object");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var at = path.Length == 0 ? property.Name : path + "." + property.Name;
            if (!required.Contains(property.Name) && !optional.Contains(property.Name))
            {
                throw Invalid(at, "unknown field");
            }

            if (!fields.TryAdd(property.Name, property.Value))
            {
                throw Invalid(at, "duplicate field");
            }
        }

        var missing = required.FirstOrDefault(name => !fields.ContainsKey(name));
        return missing is null ? fields : throw Invalid(path.Length == 0 ? missing : path + "." + missing, "missing field");
    }

    private static IEnumerable<JsonElement> Items(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToArray() : throw Invalid(path, "must be an array");

    private static string Text(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw Invalid(path, "must be a string");
        }

        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid(path, "string is not valid Unicode");
        }
    }

    private static long Integer(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var value) ? value : throw Invalid(path, "must be an integer");

    private static CleanroomException Invalid(string path, string message) =>
        new(ErrorCode.PolicyInvalid, $"compiled policy is invalid at {(path.Length == 0 ? "the root" : path)}: {message}");
}
