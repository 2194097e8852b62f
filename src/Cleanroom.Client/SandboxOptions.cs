namespace Cleanroom.Client;

/// <summary>What <see cref="CleanroomClient.CreateSandboxAsync"/> and <see cref="CleanroomClient.EnsureSandboxAsync"/> ask for.</summary>
public sealed record SandboxOptions
{
    /// <summary>The sandbox's policy: its image and egress allow-list.</summary>
    public required Policy Policy { get; init; }

    /// <summary>A backend name (<c>gvisor</c>, <c>qemu</c>); null lets the server choose its default.</summary>
    public string? Backend { get; init; }

    /// <summary>Labels stored on the sandbox. Names under <c>cleanroom.dev/</c> are the server's and are refused.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Turns egress enforcement off for this sandbox (recorded in its audit log). Never use it for untrusted work.</summary>
    public bool DangerouslyAllowAll { get; init; }
}
