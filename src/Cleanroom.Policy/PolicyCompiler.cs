using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Sections;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy;

/// <summary>
/// Compiles <c>cleanroom.yaml</c> text (schema version 1) into a <see cref="CompiledPolicy"/>. Pure: no
/// file or network access. Every problem in the input is returned as a <see cref="PolicyError"/>; the
/// compiler never throws for any input, because the CLI must be able to show a user all of them at once.
/// </summary>
public static class PolicyCompiler
{
    /// <param name="yamlText">The policy file's text.</param>
    /// <param name="sourceName">How to name the input in messages, usually its path.</param>
    /// <param name="repositoryFile">
    /// Reads a file of the policy's repository by relative path (null when it does not exist), for settings that compile a
    /// repository file into the policy (<c>registries.npm.lockfile_enforcement</c>); null when the caller has no repository.
    /// </param>
    public static PolicyResult Compile(string yamlText, string sourceName, Func<string, string?>? repositoryFile = null)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);
        var diagnostics = new PolicyDiagnostics();
        CompiledPolicy? policy = null;
        try
        {
            var root = YamlDocumentReader.Read(yamlText, sourceName, diagnostics);
            if (root is not null)
            {
                policy = CompileDocument(root, repositoryFile, diagnostics);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug here must not crash the CLI or the server; it still makes the policy invalid, and the
            // mutation tests fail on this message, so it does not hide.
            diagnostics.Invalid("", SourcePosition.Start, $"internal error while compiling the policy: {e.GetType().Name}: {e.Message}");
        }

        return diagnostics.HasErrors
            ? new PolicyResult(false, null, diagnostics.Errors(), diagnostics.Warnings())
            : new PolicyResult(true, policy, [], diagnostics.Warnings());
    }

    private static CompiledPolicy? CompileDocument(SourceMapping root, Func<string, string?>? repositoryFile, PolicyDiagnostics diagnostics)
    {
        var top = StrictMapping.Read(root, "", diagnostics, "version", "sandbox", "repository", "expose", "secrets", "registries")!;
        ReadVersion(top, diagnostics);

        var repository = top["repository"] is { } repositoryNode
            ? StrictMapping.Read(repositoryNode, "repository", diagnostics, "path", "network", "enabled")
            : null;
        var repositoryPath = ReadRepositoryPath(repository, diagnostics);
        var repositoryEnabled = repository?["enabled"] is not { } enabledNode
            || (ScalarValues.Boolean(enabledNode, repository.PathOf("enabled"), diagnostics) ?? true);

        var sandboxNode = top.Required("sandbox", diagnostics, "the sandbox section with at least image.ref");
        var sandbox = sandboxNode is null
            ? null
            : StrictMapping.Read(sandboxNode, "sandbox", diagnostics, "image", "network", "resources", "docker", "services", "dependencies", "run");

        var network = NetworkSection.Read(sandbox, repository, diagnostics);
        var expose = top["expose"] is { } exposeNode ? ExposeSection.Read(exposeNode, "expose", diagnostics) : null;
        var secrets = top["secrets"] is { } secretsNode
            ? SecretsSection.Read(secretsNode, "secrets", diagnostics.HasErrors ? null : network, diagnostics)
            : [];
        var npmLockfile = top["registries"] is { } registriesNode ? RegistriesSection.Read(registriesNode, "registries", repositoryFile, diagnostics) : null;
        if (sandbox is null)
        {
            return null;
        }

        var image = SandboxSection.ReadImage(sandbox, diagnostics);
        var resources = SandboxSection.ReadResources(sandbox, diagnostics);

        // sandbox.services is either the block list or, in older policies, {docker: {required: ...}}.
        // The YAML node type decides which, so both spellings keep working.
        var servicesNode = sandbox["services"];
        var dockerRequired = SandboxSection.ReadDockerRequired(sandbox, servicesNode as SourceMapping, diagnostics);
        var serviceList = servicesNode switch
        {
            SourceSequence sequence => sequence,
            SourceScalar { IsNull: true } or SourceMapping or null => null,
            _ => Report(sandbox.PathOf("services"), servicesNode, diagnostics),
        };
        var (dependencies, services) = WorkloadSection.Read(sandbox, serviceList, repositoryPath, diagnostics);
        var runBefore = SandboxSection.ReadRunBefore(sandbox, diagnostics);
        if (!repositoryEnabled && dependencies.Concat(services).Any(b => !b.OutputDirs.IsEmpty || !b.OutputFiles.IsEmpty))
        {
            diagnostics.Warn("repository.enabled is false: block outputs are not cached (the cache is keyed on the repository's files), " +
                "so every block runs at every create");
        }

        return diagnostics.HasErrors || image is null
            ? null
            : new CompiledPolicy(image, network, repositoryPath, resources, dockerRequired, dependencies, services, runBefore, expose, secrets, repositoryEnabled, npmLockfile);
    }

    private static SourceSequence? Report(string path, SourceNode node, PolicyDiagnostics diagnostics)
    {
        diagnostics.Invalid(path, node, $"services must be a list of service blocks, not {ScalarValues.Describe(node)}");
        return null;
    }

    private static void ReadVersion(StrictMapping top, PolicyDiagnostics diagnostics)
    {
        var node = top.Required("version", diagnostics, $"add \"version: {CompiledPolicy.SchemaVersion}\" at the top of the file");
        if (node is SourceScalar { IsPlain: true } scalar && ScalarValues.TryInteger(scalar.Value, out var version)
            && version == CompiledPolicy.SchemaVersion)
        {
            return;
        }

        if (node is not null)
        {
            diagnostics.Invalid("version", node,
                $"unsupported policy version {ScalarValues.Describe(node)}; this Cleanroom understands version: {CompiledPolicy.SchemaVersion}");
        }
    }

    private static string ReadRepositoryPath(StrictMapping? repository, PolicyDiagnostics diagnostics)
    {
        if (repository?["path"] is not { } node
            || ScalarValues.String(node, repository.PathOf("path"), diagnostics) is not { } text)
        {
            return GuestPath.DefaultRepositoryPath;
        }

        var path = GuestPath.NormalizeRepositoryPath(text, out var error);
        if (path is null)
        {
            diagnostics.Invalid(repository.PathOf("path"), node, error);
        }

        return path ?? GuestPath.DefaultRepositoryPath;
    }
}
