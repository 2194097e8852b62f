namespace Cleanroom.Backends;

/// <summary>Resource limits for a sandbox. Null means "the backend's default".</summary>
public sealed record SandboxResources(int? Vcpus, long? MemoryBytes, long? DiskBytes)
{
    public static readonly SandboxResources Unspecified = new(null, null, null);
}
