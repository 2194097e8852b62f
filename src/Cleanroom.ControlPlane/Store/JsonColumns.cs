using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cleanroom.ControlPlane.Store;

/// <summary>
/// The JSON forms of list- and map-valued columns. Environment variables are stored as an array of
/// [name, value] pairs because their order matters and a JSON object does not promise one.
/// </summary>
internal static class JsonColumns
{
    public static string FromList(IReadOnlyList<string> values) => new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()).ToJsonString();

    public static IReadOnlyList<string> ToList(string json) =>
        JsonNode.Parse(json)!.AsArray().Select(node => node!.GetValue<string>()).ToArray();

    public static string FromPairs(IReadOnlyList<KeyValuePair<string, string>> pairs) =>
        new JsonArray(pairs.Select(p => (JsonNode?)new JsonArray(JsonValue.Create(p.Key), JsonValue.Create(p.Value))).ToArray()).ToJsonString();

    public static IReadOnlyList<KeyValuePair<string, string>> ToPairs(string json) =>
        JsonNode.Parse(json)!.AsArray()
            .Select(node => new KeyValuePair<string, string>(node![0]!.GetValue<string>(), node[1]!.GetValue<string>()))
            .ToArray();

    public static string FromMap(IReadOnlyDictionary<string, string> map)
    {
        var json = new JsonObject();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            json[key] = value;
        return json.ToJsonString();
    }

    public static IReadOnlyDictionary<string, string> ToMap(string json) =>
        JsonNode.Parse(json)!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal);

    public static string? FromElement(JsonElement? element) => element?.GetRawText();

    public static JsonElement? ToElement(string? json)
    {
        if (json is null)
            return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>A JSON object from name/value pairs, skipping nulls; for event payloads.</summary>
    public static string Object(params (string Name, object? Value)[] members)
    {
        var json = new JsonObject();
        foreach (var (name, value) in members)
        {
            switch (value)
            {
                case null: break;
                case string text: json[name] = text; break;
                case int number: json[name] = number; break;
                case long number: json[name] = number; break;
                case bool flag: json[name] = flag; break;
                default: throw new ArgumentException($"unsupported payload value type {value.GetType().Name}", nameof(members));
            }
        }
        return json.ToJsonString();
    }
}
