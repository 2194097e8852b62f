using System.Collections.Immutable;
using System.Text.Json;

namespace Cleanroom.Backends;

/// <summary>
/// What a backend enforces, as a map from capability name (<see cref="CapabilityNames"/>) to a bool or
/// a string. A missing key means "no". Immutable; <see cref="ToJson"/> is the form <c>doctor --json</c> shows.
/// </summary>
public sealed class BackendCapabilities
{
    public static readonly BackendCapabilities None = new(ImmutableSortedDictionary<string, object>.Empty);

    private readonly ImmutableSortedDictionary<string, object> _entries;

    private BackendCapabilities(ImmutableSortedDictionary<string, object> entries) => _entries = entries;

    /// <summary>Builds a map; every value must be a <see cref="bool"/> or a <see cref="string"/>.</summary>
    public static BackendCapabilities From(IEnumerable<KeyValuePair<string, object>> entries)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in entries)
        {
            Validate(name, value);
            builder[name] = value;
        }
        return new BackendCapabilities(builder.ToImmutable());
    }

    /// <summary>Name to value (bool or string), sorted by name.</summary>
    public IReadOnlyDictionary<string, object> Entries => _entries;

    public BackendCapabilities With(string name, bool value) => With(name, (object)value);

    public BackendCapabilities With(string name, string value) => With(name, (object)value);

    /// <summary>True only when the capability is present and exactly <c>true</c>.</summary>
    public bool Supports(string name) => _entries.TryGetValue(name, out var value) && value is true;

    /// <summary>The string value of a capability, or null when it is absent or a bool.</summary>
    public string? ValueOf(string name) => _entries.TryGetValue(name, out var value) ? value as string : null;

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in _entries)
        {
            if (value is bool flag)
                writer.WriteBoolean(name, flag);
            else
                writer.WriteString(name, (string)value);
        }
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            WriteTo(writer);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public override string ToString() => ToJson();

    private BackendCapabilities With(string name, object value)
    {
        Validate(name, value);
        return new BackendCapabilities(_entries.SetItem(name, value));
    }

    private static void Validate(string name, object value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (value is not (bool or string))
            throw new ArgumentException($"capability '{name}' must be a bool or a string, not {value?.GetType().Name ?? "null"}", nameof(value));
    }
}
