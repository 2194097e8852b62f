using System.Collections.Immutable;
using System.Globalization;

namespace Cleanroom.Policy.Yaml;

/// <summary>
/// Typed reads of YAML values. Numbers and booleans must be written unquoted, like YAML's own core schema:
/// <c>443</c> is a port, <c>"443"</c> is a string and fails, so a value means the same to every reader.
/// </summary>
internal static class ScalarValues
{
    /// <summary>A non-null scalar's text, or null after reporting what was expected.</summary>
    public static string? String(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        if (node is SourceScalar { IsNull: false } scalar)
        {
            return scalar.Value;
        }

        diagnostics.Invalid(path, node, $"must be a string, not {Describe(node)}");
        return null;
    }

    public static long? Integer(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        if (node is SourceScalar { IsPlain: true, IsNull: false } scalar && TryInteger(scalar.Value, out var value))
        {
            return value;
        }

        diagnostics.Invalid(path, node, $"must be an integer, not {Describe(node)}");
        return null;
    }

    public static bool? Boolean(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        if (node is SourceScalar { IsPlain: true } scalar)
        {
            switch (scalar.Value)
            {
                case "true" or "True" or "TRUE":
                    return true;
                case "false" or "False" or "FALSE":
                    return false;
            }
        }

        diagnostics.Invalid(path, node, $"must be true or false, not {Describe(node)}");
        return null;
    }

    /// <summary>The items of a list; an empty value (<c>key:</c>) counts as an empty list.</summary>
    public static ImmutableArray<SourceNode>? Sequence(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        switch (node)
        {
            case SourceSequence sequence:
                return sequence.Items;
            case SourceScalar { IsNull: true }:
                return ImmutableArray<SourceNode>.Empty;
            default:
                diagnostics.Invalid(path, node, $"must be a list, not {Describe(node)}");
                return null;
        }
    }

    /// <summary>Decimal integers only: <c>0x1BB</c> or <c>1e3</c> are not ports or sizes anyone means to write.</summary>
    public static bool TryInteger(string text, out long value)
    {
        value = 0;
        var digits = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static string Describe(SourceNode node) => node switch
    {
        SourceScalar { IsNull: true } => "an empty value",
        SourceScalar { IsPlain: false } s => $"the quoted string \"{Shorten(s.Value)}\"",
        SourceScalar s => $"\"{Shorten(s.Value)}\"",
        SourceSequence => "a list",
        SourceMapping => "a mapping",
        _ => "an unknown value",
    };

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
