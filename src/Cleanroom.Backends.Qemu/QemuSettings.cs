using System.Globalization;
using System.Text.Json;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Qemu;

/// <summary>Which accelerator to use: decide by a probe boot, or the one named.</summary>
public enum AcceleratorChoice
{
    Auto,
    Kvm,
    Tcg,
}

/// <summary>
/// The <c>backends.qemu</c> section of the runtime config: <c>binary_path</c>, <c>accel</c>, <c>kernel</c>,
/// <c>min_vcpus</c>, <c>min_memory_mib</c>. The runtime-config reader has validated the section; values arrive
/// as strings (the server's view of the section) or as a JSON object of strings (a sandbox's
/// <see cref="SandboxSpec.RuntimeConfig"/>).
/// </summary>
public sealed record QemuSettings
{
    public static QemuSettings Default { get; } = new();

    /// <summary>The QEMU system emulator: a path, or a name looked up on PATH.</summary>
    public string BinaryPath { get; init; } = "qemu-system-x86_64";

    public AcceleratorChoice Accelerator { get; init; } = AcceleratorChoice.Auto;

    /// <summary>The guest kernel; null means the one scripts/build-kernel.sh built (<see cref="QemuBackendOptions.DefaultKernelPath"/>).</summary>
    public string? KernelPath { get; init; }

    /// <summary>vCPUs a sandbox gets even when its resources ask for fewer.</summary>
    public int MinVcpus { get; init; } = 1;

    /// <summary>Memory a sandbox gets even when its resources ask for less. The .NET agent and a shell need about 100 MiB.</summary>
    public int MinMemoryMib { get; init; } = 256;

    /// <summary>From the server's view of the section (<c>RuntimeConfiguration.BackendSettings("qemu")</c>).</summary>
    public static QemuSettings From(IReadOnlyDictionary<string, string> section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var settings = Default;
        foreach (var (name, value) in section)
            settings = settings.With(name, value);
        return settings;
    }

    /// <summary>
    /// Overlays a sandbox's copy of the section. Only sizing is taken from it (<c>min_vcpus</c>,
    /// <c>min_memory_mib</c>): the binary, kernel and accelerator are the host's, chosen once and probed, so a
    /// request can never make the server run a different emulator or kernel.
    /// </summary>
    public QemuSettings WithSandboxSection(JsonElement? section)
    {
        if (section is not { ValueKind: JsonValueKind.Object } json)
            return this;
        var settings = this;
        foreach (var property in json.EnumerateObject())
        {
            if (property.Name is not ("min_vcpus" or "min_memory_mib"))
                continue;
            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number => property.Value.GetRawText(),
                _ => throw Invalid(property.Name, property.Value.GetRawText()),
            };
            settings = settings.With(property.Name, text);
        }
        return settings;
    }

    private QemuSettings With(string name, string value) => name switch
    {
        _ when value.Length == 0 => this, // an empty value means "the default"
        "binary_path" => this with { BinaryPath = value },
        "kernel" => this with { KernelPath = value },
        "accel" => this with { Accelerator = ParseAccelerator(value) },
        "min_vcpus" => this with { MinVcpus = ParsePositive(name, value) },
        "min_memory_mib" => this with { MinMemoryMib = ParsePositive(name, value) },
        _ => this, // unknown names were refused by the runtime-config reader
    };

    private static AcceleratorChoice ParseAccelerator(string value) => value switch
    {
        "auto" => AcceleratorChoice.Auto,
        "kvm" => AcceleratorChoice.Kvm,
        "tcg" => AcceleratorChoice.Tcg,
        _ => throw Invalid("accel", $"\"{value}\" (auto, kvm or tcg)"),
    };

    private static int ParsePositive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw Invalid(name, $"\"{value}\" (a positive integer)");

    private static CleanroomException Invalid(string name, string value) =>
        new(ErrorCode.ConfigInvalid, $"backends.qemu.{name} cannot be {value}");
}
