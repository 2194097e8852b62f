using System.Buffers;
using System.Text;
using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Client;

/// <summary>
/// A compiled sandbox policy: what a sandbox runs and where it may connect. Made from a <c>cleanroom.yaml</c>
/// (<see cref="FromYaml"/>, <see cref="FromFile"/>) or from code (<see cref="FromAllowlist"/>); either way it goes
/// through the same compiler as the CLI, so equal policies have equal <see cref="Hash"/>es wherever they were made.
/// </summary>
public sealed class Policy
{
    private Policy(CompiledPolicy compiled) => Compiled = compiled;

    /// <summary>The compiled form (every default applied, lists sorted and merged), as Cleanroom.Policy defines it.</summary>
    public CompiledPolicy Compiled { get; }

    /// <summary><c>sha256:</c> + hex over <see cref="CanonicalJson"/>: the hash the server recomputes and records on the sandbox.</summary>
    public string Hash => Compiled.PolicyHash;

    /// <summary>The canonical JSON sent to the server (<c>CreateSandboxRequest.policy_json</c>).</summary>
    public string CanonicalJson => Compiled.CanonicalJson;

    /// <summary>The digest-pinned image the sandbox runs.</summary>
    public string ImageRef => Compiled.Image.Reference;

    /// <summary>One allowed destination for <see cref="FromAllowlist"/>: a DNS name or IP literal and its ports.</summary>
    public static EgressAllowance Allow(string host, params int[] ports) => new(host, ports);

    /// <summary>
    /// A deny-by-default policy for <paramref name="imageRef"/> (<c>name[:tag]@sha256:...</c>) that allows exactly
    /// <paramref name="allow"/> in every stage, like a <c>cleanroom.yaml</c> with only <c>sandbox.image.ref</c> and
    /// <c>sandbox.network.allow</c>.
    /// </summary>
    /// <exception cref="CleanroomException">policy_invalid with every problem (an unpinned image, a wildcard host, a port out of range, ...).</exception>
    public static Policy FromAllowlist(string imageRef, params EgressAllowance[] allow)
    {
        ArgumentNullException.ThrowIfNull(imageRef);
        ArgumentNullException.ThrowIfNull(allow);
        // The document is written as JSON, which is YAML's flow syntax: JSON escaping leaves no way for a host or
        // image string to change the document's shape, and the compiler then checks every value as it would a file's.
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", CompiledPolicy.SchemaVersion);
            json.WriteStartObject("sandbox");
            json.WriteStartObject("image");
            json.WriteString("ref", imageRef);
            json.WriteEndObject();
            if (allow.Length > 0)
            {
                json.WriteStartObject("network");
                json.WriteStartArray("allow");
                foreach (var entry in allow)
                {
                    ArgumentNullException.ThrowIfNull(entry);
                    json.WriteStartObject();
                    json.WriteString("host", entry.Host);
                    json.WriteStartArray("ports");
                    foreach (var port in entry.Ports)
                        json.WriteNumberValue(port);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return FromYaml(Encoding.UTF8.GetString(buffer.WrittenSpan), "Policy.FromAllowlist");
    }

    /// <summary>Compiles <c>cleanroom.yaml</c> text.</summary>
    /// <param name="yaml">The policy text.</param>
    /// <param name="sourceName">How messages name the input.</param>
    /// <exception cref="CleanroomException">policy_invalid (or policy_conflict) listing every problem found.</exception>
    public static Policy FromYaml(string yaml, string sourceName = "cleanroom.yaml")
    {
        var result = PolicyCompiler.Compile(yaml, sourceName);
        if (result.Valid && result.Policy is { } compiled)
            return new Policy(compiled);
        var code = result.Errors.Select(e => e.Code).FirstOrDefault() ?? ErrorCode.PolicyInvalid;
        var message = string.Join("; ", result.Errors.Select(e => string.IsNullOrEmpty(e.Path) ? e.Message : $"{e.Path}: {e.Message}"));
        throw new CleanroomException(code, $"{sourceName}: {message}");
    }

    /// <summary>Reads and compiles a <c>cleanroom.yaml</c> file.</summary>
    public static Policy FromFile(string path) => FromYaml(File.ReadAllText(path), path);

    /// <summary>A policy the server sent or stored, re-validated and re-hashed (its own hash is never trusted).</summary>
    public static Policy FromCanonicalJson(string json) => new(CompiledPolicy.FromCanonicalJson(json));

    /// <inheritdoc/>
    public override string ToString() => $"{ImageRef} ({Hash})";
}

/// <summary>An allowed egress destination: <paramref name="Host"/> (exact DNS name or IP literal) on <paramref name="Ports"/>.</summary>
public sealed record EgressAllowance(string Host, IReadOnlyList<int> Ports);
