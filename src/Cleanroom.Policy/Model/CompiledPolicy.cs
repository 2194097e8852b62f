using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Cleanroom.Policy.Json;

namespace Cleanroom.Policy;

/// <summary>
/// The result of compiling a <c>cleanroom.yaml</c>: every default applied, every list sorted and merged,
/// every stage's allow list explicit. It is what the client sends, what the server enforces and what
/// <see cref="PolicyHash"/> identifies. Instances are only made by the compiler or by
/// <see cref="FromCanonicalJson"/>, both of which validate, so a CompiledPolicy is always a valid one.
/// </summary>
public sealed record CompiledPolicy
{
    /// <summary>The only schema version this compiler accepts and produces.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Repository policy is always deny-by-default; allow-all exists only as a request-scoped flag.</summary>
    public const string DenyByDefault = "deny";

    internal CompiledPolicy(
        ImageReference image,
        StageRules network,
        string repositoryPath,
        ResourceRequirements resources,
        bool dockerRequired,
        ImmutableArray<WorkloadBlock> dependencies,
        ImmutableArray<WorkloadBlock> services,
        string? runBefore,
        ExposeHttps? exposeHttps,
        ImmutableArray<SecretBinding> secrets,
        bool repositoryEnabled = true,
        NpmLockfilePolicy? npmLockfile = null)
    {
        RepositoryEnabled = repositoryEnabled;
        NpmLockfile = npmLockfile;
        Image = image;
        Network = network;
        RepositoryPath = repositoryPath;
        Resources = resources;
        DockerRequired = dockerRequired;
        Dependencies = dependencies;
        Services = services;
        RunBefore = runBefore;
        ExposeHttps = exposeHttps;
        Secrets = secrets.IsDefault ? [] : secrets;
        CanonicalJson = CanonicalPolicyJson.Write(this);
        PolicyHash = Json.PolicyHash.Compute(CanonicalJson);
    }

    public int Version => SchemaVersion;

    public ImageReference Image { get; }

    public string NetworkDefault => DenyByDefault;

    public StageRules Network { get; }

    public string RepositoryPath { get; }

    /// <summary>
    /// <c>repository.enabled</c> (default true): repository-aware commands put the repository into the sandbox. False
    /// (upstream's repo-agnostic policies): nothing is copied in, and block outputs are not cached.
    /// </summary>
    public bool RepositoryEnabled { get; }

    public ResourceRequirements Resources { get; }

    public bool DockerRequired { get; }

    /// <summary>Dependency blocks in policy order, which is their execution order.</summary>
    public ImmutableArray<WorkloadBlock> Dependencies { get; }

    /// <summary>Service blocks in policy order, which is their execution order.</summary>
    public ImmutableArray<WorkloadBlock> Services { get; }

    public string? RunBefore { get; }

    public ExposeHttps? ExposeHttps { get; }

    /// <summary>Secret bindings (<c>secrets:</c>) by id: which host secret the gateway may send where, never a value.</summary>
    public ImmutableArray<SecretBinding> Secrets { get; }

    /// <summary><c>registries.npm.lockfile_enforcement</c> with the lockfile's packages; null when the policy sets none.</summary>
    public NpmLockfilePolicy? NpmLockfile { get; }

    /// <summary>The canonical JSON (without the hash) that <see cref="PolicyHash"/> is computed over.</summary>
    public string CanonicalJson { get; }

    /// <summary>"sha256:" + lowercase hex SHA-256 of <see cref="CanonicalJson"/> in UTF-8.</summary>
    public string PolicyHash { get; }

    /// <summary>The printed form: <c>policy_hash</c> first, then the canonical fields. Each call returns a new node.</summary>
    public JsonObject ToJson() => JsonNode.Parse(CanonicalPolicyJson.Write(this, PolicyHash))!.AsObject();

    /// <summary>
    /// Rebuilds a policy received from elsewhere (the canonical JSON, or the printed form with a
    /// <c>policy_hash</c>, which is ignored) after checking every invariant the compiler guarantees, and
    /// recomputes the hash. A sender's hash is never trusted. Throws a policy_invalid CleanroomException.
    /// </summary>
    public static CompiledPolicy FromCanonicalJson(string json) => CompiledPolicyJsonReader.Read(json);

    /// <summary>Two compiled policies are equal when their canonical forms are: they mean the same.</summary>
    public bool Equals(CompiledPolicy? other) => other is not null && CanonicalJson == other.CanonicalJson;

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(CanonicalJson);
}
