using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// The small, self-contained parts of <c>sandbox</c>: the image, resources, Docker and <c>run.before</c>.
/// Network and the dependency/service blocks have their own sections.
/// </summary>
internal static class SandboxSection
{
    public static ImageReference? ReadImage(StrictMapping sandbox, PolicyDiagnostics diagnostics)
    {
        var imageNode = sandbox.Required("image", diagnostics, "the sandbox image, e.g. image: {ref: ghcr.io/org/image@sha256:...}");
        if (imageNode is null || StrictMapping.Read(imageNode, sandbox.PathOf("image"), diagnostics, "ref") is not { } image)
        {
            return null;
        }

        var refNode = image.Required("ref", diagnostics, "a digest-pinned image reference, name[:tag]@sha256:<64 hex>");
        if (refNode is null || ScalarValues.String(refNode, image.PathOf("ref"), diagnostics) is not { } text)
        {
            return null;
        }

        var reference = ImageReference.Parse(text, out var error);
        if (reference is null)
        {
            diagnostics.Invalid(image.PathOf("ref"), refNode, error);
        }

        return reference;
    }

    public static ResourceRequirements ReadResources(StrictMapping sandbox, PolicyDiagnostics diagnostics)
    {
        if (sandbox["resources"] is not { } node
            || StrictMapping.Read(node, sandbox.PathOf("resources"), diagnostics, "vcpus", "memory", "disk") is not { } resources)
        {
            return ResourceRequirements.None;
        }

        int? vcpus = null;
        if (resources["vcpus"] is { } vcpuNode && ScalarValues.Integer(vcpuNode, resources.PathOf("vcpus"), diagnostics) is { } count)
        {
            if (count is < 1 or > int.MaxValue)
            {
                diagnostics.Invalid(resources.PathOf("vcpus"), vcpuNode, count < 1 ? $"vcpus must be at least 1, not {count}" : $"vcpus {count} is more than any machine has");
            }
            else
            {
                vcpus = (int)count;
            }
        }

        return new ResourceRequirements(vcpus, ReadSize(resources, "memory", diagnostics), ReadSize(resources, "disk", diagnostics));
    }

    private static long? ReadSize(StrictMapping resources, string key, PolicyDiagnostics diagnostics)
    {
        if (resources[key] is not { } node)
        {
            return null;
        }

        if (node is not SourceScalar { IsNull: false } scalar)
        {
            diagnostics.Invalid(resources.PathOf(key), node, $"{key} must be a size such as 8GiB, not {ScalarValues.Describe(node)}");
            return null;
        }

        var bytes = ByteSize.Parse(scalar.Value, out var error);
        if (bytes is null)
        {
            diagnostics.Invalid(resources.PathOf(key), node, error);
        }

        return bytes;
    }

    /// <summary>
    /// <c>sandbox.docker.required</c>, or its older spelling <c>sandbox.services: {docker: {required: ...}}</c>
    /// (<paramref name="servicesMapping"/> when <c>sandbox.services</c> is a mapping rather than a block list).
    /// </summary>
    public static bool ReadDockerRequired(StrictMapping sandbox, SourceMapping? servicesMapping, PolicyDiagnostics diagnostics)
    {
        var current = ReadRequiredFlag(sandbox["docker"], sandbox.PathOf("docker"), diagnostics);
        if (servicesMapping is null
            || StrictMapping.Read(servicesMapping, sandbox.PathOf("services"), diagnostics, "docker") is not { } services
            || services["docker"] is not { } dockerNode)
        {
            return current?.Value ?? false;
        }

        var legacy = ReadRequiredFlag(dockerNode, services.PathOf("docker"), diagnostics);
        if (legacy is null)
        {
            return current?.Value ?? false;
        }

        diagnostics.Warn("sandbox.services.docker.required is the older spelling of sandbox.docker.required; prefer the latter");
        if (current is not null && current.Value.Value != legacy.Value.Value)
        {
            diagnostics.Conflict(legacy.Value.Path, legacy.Value.Position,
                $"sandbox.services.docker.required ({Lower(legacy.Value.Value)}) contradicts sandbox.docker.required ({Lower(current.Value.Value)}); keep only sandbox.docker.required");
        }

        return current?.Value ?? legacy.Value.Value;
    }

    private static (bool Value, string Path, SourcePosition Position)? ReadRequiredFlag(SourceNode? node, string path, PolicyDiagnostics diagnostics)
    {
        if (node is null || StrictMapping.Read(node, path, diagnostics, "required") is not { } docker
            || docker["required"] is not { } requiredNode)
        {
            return null;
        }

        return ScalarValues.Boolean(requiredNode, docker.PathOf("required"), diagnostics) is { } value
            ? (value, docker.PathOf("required"), requiredNode.Position)
            : null;
    }

    /// <summary><c>run.before</c>; an empty or blank command means the same as none.</summary>
    public static string? ReadRunBefore(StrictMapping sandbox, PolicyDiagnostics diagnostics)
    {
        if (sandbox["run"] is not { } node
            || StrictMapping.Read(node, sandbox.PathOf("run"), diagnostics, "before") is not { } run
            || run["before"] is not { } before)
        {
            return null;
        }

        var command = ScalarValues.String(before, run.PathOf("before"), diagnostics);
        return string.IsNullOrWhiteSpace(command) ? null : command;
    }

    private static string Lower(bool value) => value ? "true" : "false";
}
