using System.Collections.Immutable;
using System.Text.Json;

namespace Cleanroom.Policy.Rules;

/// <summary>
/// The packages an npm lockfile (<c>package-lock.json</c> or <c>npm-shrinkwrap.json</c>) names, as sorted, distinct
/// <c>NAME@VERSION</c>: from <c>packages</c> (lockfile versions 2 and 3: keys <c>node_modules/NAME</c>, nested
/// <c>.../node_modules/NAME</c>, the name being what follows the last <c>node_modules/</c>, or an entry's own <c>name</c>
/// for aliases) and from <c>dependencies</c> (version 1, nested). The root project and linked workspaces are not downloads
/// and are left out. Pure.
/// </summary>
internal static class NpmLockfileParser
{
    private const string NodeModules = "node_modules/";

    /// <returns>The packages, or null with <paramref name="error"/> when the text is not a lockfile.</returns>
    public static ImmutableArray<string>? Read(string text, out string error)
    {
        error = "";
        var packages = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("lockfileVersion", out var version) || version.ValueKind != JsonValueKind.Number)
            {
                error = "is not an npm lockfile (a JSON object with lockfileVersion)";
                return null;
            }

            if (root.TryGetProperty("packages", out var entries) && entries.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in entries.EnumerateObject())
                {
                    var at = entry.Name.LastIndexOf(NodeModules, StringComparison.Ordinal);
                    if (at < 0 || entry.Value.ValueKind != JsonValueKind.Object || IsTrue(entry.Value, "link"))
                        continue;
                    var name = Text(entry.Value, "name") ?? entry.Name[(at + NodeModules.Length)..];
                    if (Text(entry.Value, "version") is { } packageVersion)
                        packages.Add($"{name}@{packageVersion}");
                }
            }
            else if (root.TryGetProperty("dependencies", out var dependencies))
            {
                AddVersion1(dependencies, packages);
            }
        }
        catch (JsonException e)
        {
            error = $"is not JSON: {e.Message}";
            return null;
        }

        return [.. packages];
    }

    private static void AddVersion1(JsonElement dependencies, SortedSet<string> packages)
    {
        if (dependencies.ValueKind != JsonValueKind.Object)
            return;
        foreach (var dependency in dependencies.EnumerateObject())
        {
            if (dependency.Value.ValueKind != JsonValueKind.Object)
                continue;
            if (Text(dependency.Value, "version") is { } version && !version.StartsWith("file:", StringComparison.Ordinal))
                packages.Add($"{dependency.Name}@{version}");
            if (dependency.Value.TryGetProperty("dependencies", out var nested))
                AddVersion1(nested, packages);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsTrue(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
