namespace Cleanroom.Policy;

/// <summary>
/// Backend-neutral minimum resources from <c>sandbox.resources</c>. Each is null when the policy does not
/// ask for it, and then the backend's own default applies.
/// </summary>
public sealed record ResourceRequirements(int? Vcpus, long? MemoryBytes, long? DiskBytes)
{
    public static readonly ResourceRequirements None = new(null, null, null);
}
