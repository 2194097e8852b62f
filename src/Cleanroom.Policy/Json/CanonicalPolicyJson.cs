using System.Collections.Immutable;

namespace Cleanroom.Policy.Json;

/// <summary>
/// Writes a <see cref="CompiledPolicy"/> as canonical JSON: snake_case names in the fixed order below, every
/// field present (null when unset), collections in their compiled (sorted) order. This text is what
/// <c>policy_hash</c> covers; changing the order or the names here changes every hash, so don't.
/// </summary>
internal static class CanonicalPolicyJson
{
    /// <summary>The canonical form; with <paramref name="policyHash"/> it is the printed form, hash first.</summary>
    public static string Write(CompiledPolicy policy, string? policyHash = null)
    {
        var json = new CanonicalJsonWriter().StartObject();
        if (policyHash is not null)
        {
            json.Name("policy_hash").String(policyHash);
        }

        json.Name("version").Number(policy.Version);
        json.Name("image").StartObject()
            .Name("ref").String(policy.Image.Reference)
            .Name("digest").String(policy.Image.Digest)
            .EndObject();

        json.Name("network").StartObject().Name("default").String(policy.NetworkDefault).Name("stages").StartObject();
        foreach (var stage in StageRules.StageNames)
        {
            json.Name(stage).StartArray();
            foreach (var rule in policy.Network[stage])
            {
                json.StartObject().Name("host").String(rule.Host).Name("ports");
                WriteNumbers(json, rule.Ports);
                json.EndObject();
            }

            json.EndArray();
        }

        json.EndObject().EndObject();

        json.Name("repository").StartObject();
        // Written only when false, so that every policy from before the field hashes as it did.
        if (!policy.RepositoryEnabled)
            json.Name("enabled").Boolean(false);
        json.Name("path").String(policy.RepositoryPath).EndObject();
        json.Name("resources").StartObject()
            .Name("vcpus").Number(policy.Resources.Vcpus)
            .Name("memory_bytes").Number(policy.Resources.MemoryBytes)
            .Name("disk_bytes").Number(policy.Resources.DiskBytes)
            .EndObject();
        json.Name("docker").StartObject().Name("required").Boolean(policy.DockerRequired).EndObject();
        json.Name("dependencies");
        WriteBlocks(json, policy.Dependencies);
        json.Name("services");
        WriteBlocks(json, policy.Services);
        json.Name("run").StartObject().Name("before").String(policy.RunBefore).EndObject();
        json.Name("expose").StartObject().Name("https");
        WriteExposeHttps(json, policy.ExposeHttps);
        json.EndObject();
        // Written only when there are bindings: policies without secrets keep the hash they had before secrets existed.
        if (policy.Secrets.Length > 0)
        {
            json.Name("secrets").StartArray();
            foreach (var binding in policy.Secrets)
            {
                json.StartObject().Name("id").String(binding.Id).Name("hosts");
                WriteStrings(json, binding.Hosts);
                json.Name("header").String(binding.Header).Name("format").String(binding.Format).EndObject();
            }

            json.EndArray();
        }

        // Written only when set, like secrets: policies without it keep their hash.
        if (policy.NpmLockfile is { } lockfile)
        {
            json.Name("registries").StartObject().Name("npm").StartObject().Name("lockfile_enforcement").StartObject()
                .Name("lockfile").String(lockfile.Lockfile)
                .Name("mode").String(lockfile.Mode)
                .Name("packages");
            WriteStrings(json, lockfile.Packages);
            json.EndObject().EndObject().EndObject();
        }

        return json.EndObject().ToString();
    }

    private static void WriteBlocks(CanonicalJsonWriter json, ImmutableArray<WorkloadBlock> blocks)
    {
        json.StartArray();
        foreach (var block in blocks)
        {
            json.StartObject()
                .Name("name").String(block.Name)
                .Name("command").String(block.Command)
                .Name("inputs").StartObject().Name("files");
            WriteStrings(json, block.InputFiles);
            json.EndObject().Name("outputs").StartObject().Name("dirs");
            WriteStrings(json, block.OutputDirs);
            json.Name("files");
            WriteStrings(json, block.OutputFiles);
            json.EndObject().Name("env").StartObject();
            foreach (var (key, value) in block.Env)
            {
                json.Name(key).String(value);
            }

            json.EndObject().EndObject();
        }

        json.EndArray();
    }

    private static void WriteExposeHttps(CanonicalJsonWriter json, ExposeHttps? expose)
    {
        if (expose is null)
        {
            json.String(null);
            return;
        }

        json.StartObject().Name("base").String(expose.Base).Name("routes").StartArray();
        foreach (var route in expose.Routes)
        {
            json.StartObject().Name("port").Number(route.Port).Name("hosts");
            WriteStrings(json, route.Hosts);
            json.EndObject();
        }

        json.EndArray().EndObject();
    }

    private static void WriteNumbers(CanonicalJsonWriter json, ImmutableArray<int> numbers)
    {
        json.StartArray();
        foreach (var number in numbers)
        {
            json.Number(number);
        }

        json.EndArray();
    }

    private static void WriteStrings(CanonicalJsonWriter json, ImmutableArray<string> values)
    {
        json.StartArray();
        foreach (var value in values)
        {
            json.String(value);
        }

        json.EndArray();
    }
}
