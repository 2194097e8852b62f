namespace Cleanroom.Policy.Yaml;

/// <summary>
/// A mapping read against the list of keys the schema allows. Any other key is an error at the key's own
/// path: strictness is how a typo such as <c>alow:</c> fails loudly instead of silently allowing nothing.
/// </summary>
internal sealed class StrictMapping
{
    private readonly Dictionary<string, SourceMappingEntry> _entries;

    private StrictMapping(string path, SourcePosition position, Dictionary<string, SourceMappingEntry> entries)
    {
        Path = path;
        Position = position;
        _entries = entries;
    }

    public string Path { get; }

    public SourcePosition Position { get; }

    /// <summary>
    /// Reads <paramref name="node"/> as a mapping with only <paramref name="allowedKeys"/>. An empty value
    /// (<c>key:</c>) counts as an empty mapping. Returns null, after reporting it, when the node is not a mapping.
    /// </summary>
    public static StrictMapping? Read(SourceNode node, string path, PolicyDiagnostics diagnostics, params string[] allowedKeys)
    {
        if (node is SourceScalar { IsNull: true })
        {
            return new StrictMapping(path, node.Position, new Dictionary<string, SourceMappingEntry>(StringComparer.Ordinal));
        }

        if (node is not SourceMapping mapping)
        {
            diagnostics.Invalid(path, node, $"must be a mapping with the keys {string.Join(", ", allowedKeys)}");
            return null;
        }

        var entries = new Dictionary<string, SourceMappingEntry>(StringComparer.Ordinal);
        foreach (var entry in mapping.Entries)
        {
            if (Array.IndexOf(allowedKeys, entry.Key.Value) < 0)
            {
                diagnostics.Invalid(PolicyPath.Field(path, entry.Key.Value), entry.Key,
                    $"unknown field \"{entry.Key.Value}\"; allowed here: {string.Join(", ", allowedKeys)}");
                continue;
            }

            entries[entry.Key.Value] = entry;
        }

        return new StrictMapping(path, mapping.Position, entries);
    }

    public bool Has(string key) => _entries.ContainsKey(key);

    /// <summary>The value written for <paramref name="key"/>, or null when the key is absent.</summary>
    public SourceNode? this[string key] => _entries.TryGetValue(key, out var entry) ? entry.Value : null;

    /// <summary>Where the key itself was written; errors about a whole block point here.</summary>
    public SourcePosition KeyPosition(string key) => _entries.TryGetValue(key, out var entry) ? entry.Key.Position : Position;

    public string PathOf(string key) => PolicyPath.Field(Path, key);

    /// <summary>Reports a missing required key at the mapping that should have held it.</summary>
    public SourceNode? Required(string key, PolicyDiagnostics diagnostics, string hint)
    {
        var value = this[key];
        if (value is null)
        {
            diagnostics.Invalid(PathOf(key), Position, $"{key} is required: {hint}");
        }

        return value;
    }
}
