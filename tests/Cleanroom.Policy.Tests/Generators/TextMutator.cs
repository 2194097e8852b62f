using System.Text;

namespace Cleanroom.Policy.Tests.Generators;

/// <summary>
/// Damages valid policy text the ways editors, merges and attackers do: deleted, duplicated or swapped
/// lines, renamed keys, scalars replaced by other values or structures, truncation, stray bytes and
/// characters, and broken indentation.
/// </summary>
public static class TextMutator
{
    private static readonly string[] Replacements =
    [
        "", "~", "null", "0", "-1", "65536", "99999999999999999999999", "1.5", "0x1BB", "true", "[]", "{}", "[1, [2, {a: b}]]",
        "{host: x, ports: [1]}", "\"quoted\"", "'single'", "|\n  literal", "&a x", "*a", "!!binary aGk=", "!custom x",
        "\"\\u0000\"", "\"\\ud800\"", "bücher.例え", "*.example.com:443", "10.0.0.0/8", "[::1]:0", "a:b:c:d", "${HOME}/..",
        "- a\n- b", "? complex\n: key", "<<: *a", "%TAG ! tag:x", "---", "...", "\t", "#", "@", "`", "😀", new string('a', 300),
    ];

    private static readonly string[] Noise = ["\0", "\t", "\r", "\n", "\u00a0", "\u2028", "\ufeff", "\ud800", "{", "}", "[", "]", ":", "- ", "&", "*", "!", "|", ">", "%", "@", "'", "\"", "#", ",", "?", "😀", "é", "\\"];

    public static string Mutate(string text, int seed)
    {
        var random = new Random(seed);
        var rounds = random.Next(1, 4);
        for (var i = 0; i < rounds; i++)
        {
            text = MutateOnce(text, random);
        }

        return text;
    }

    private static string MutateOnce(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var line = random.Next(lines.Count);
        switch (random.Next(10))
        {
            case 0:
                lines.RemoveAt(line);
                break;
            case 1:
                lines.Insert(line, lines[line]);
                break;
            case 2:
                lines[line] = RenameKey(lines[line], random);
                break;
            case 3:
                lines[line] = ReplaceValue(lines[line], random);
                break;
            case 4:
                return text[..random.Next(text.Length + 1)];
            case 5:
                var position = random.Next(text.Length + 1);
                return text[..position] + Noise[random.Next(Noise.Length)] + text[position..];
            case 6 when text.Length > 0:
                var bytes = Encoding.UTF8.GetBytes(text);
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return Encoding.UTF8.GetString(bytes);
            case 7:
                var indent = random.Next(-4, 5);
                var leading = lines[line].Length - lines[line].TrimStart(' ').Length;
                lines[line] = indent >= 0 ? new string(' ', indent) + lines[line] : lines[line][Math.Min(-indent, leading)..];
                break;
            case 8:
                var other = random.Next(lines.Count);
                (lines[line], lines[other]) = (lines[other], lines[line]);
                break;
            default:
                lines[line] = lines[line] + " " + Replacements[random.Next(Replacements.Length)];
                break;
        }

        return string.Join('\n', lines);
    }

    private static string RenameKey(string line, Random random)
    {
        var colon = line.IndexOf(':');
        if (colon <= 0)
        {
            return line;
        }

        var indent = line.Length - line.TrimStart(' ', '-').Length;
        string[] names = ["allow", "alow", "ports", "host", "Version", "sandbox", "network", "dependencies", "services", "docker", "x-extra", "", "<<", "ref", "default"];
        return line[..indent] + names[random.Next(names.Length)] + line[colon..];
    }

    private static string ReplaceValue(string line, Random random)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        var dash = line.IndexOf("- ", StringComparison.Ordinal);
        var cut = colon >= 0 ? colon + 2 : dash >= 0 ? dash + 2 : -1;
        if (cut < 0)
        {
            return line;
        }

        var replacement = Replacements[random.Next(Replacements.Length)];
        if (random.Next(4) == 0)
        {
            replacement = random.Next(int.MinValue, int.MaxValue).ToString();
        }

        return line[..cut] + replacement;
    }
}
