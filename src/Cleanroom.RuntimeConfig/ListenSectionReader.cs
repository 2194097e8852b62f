using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Cleanroom.RuntimeConfig;

/// <summary>
/// Reads <c>listen:</c>, the addresses <c>cleanroom serve</c> listens on (its <c>--listen</c> flags add to them): a list
/// of <c>unix:///path</c>, <c>http://127.0.0.1:PORT</c> or <c>https://ADDR:PORT</c>. Only the scheme is checked here;
/// the server parses each address and decides whether it may listen there.
/// </summary>
internal static class ListenSectionReader
{
    public static ImmutableArray<string> Read(YamlNode section, List<ConfigProblem> problems)
    {
        if (section is YamlScalarNode { Value: null or "" }) return [];
        if (section is not YamlSequenceNode list)
        {
            problems.Add(RuntimeConfigReader.At(section, "listen", "must be a list of addresses such as [unix:///run/cleanroom/cleanroom.sock, https://0.0.0.0:7777]"));
            return [];
        }
        var addresses = ImmutableArray.CreateBuilder<string>();
        foreach (var item in list)
        {
            if (item is YamlScalarNode { Value: { } text } && IsAddress(text))
                addresses.Add(text);
            else
                problems.Add(RuntimeConfigReader.At(item, "listen", "each address is unix:///path, http://127.0.0.1:PORT or https://ADDR:PORT"));
        }
        return addresses.ToImmutable();
    }

    private static bool IsAddress(string text) =>
        !text.Any(char.IsWhiteSpace)
        && (text.StartsWith("unix:/", StringComparison.Ordinal) || text.StartsWith("http://", StringComparison.Ordinal) || text.StartsWith("https://", StringComparison.Ordinal));
}
