using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Cleanroom.Policy.Yaml;

/// <summary>
/// Turns policy text into a <see cref="SourceNode"/> tree with positions, straight from YamlDotNet's event
/// parser. Building the tree ourselves is what lets us reject duplicate keys (YAML says they are an error,
/// many loaders keep the last one silently), aliases, tags and extra documents, each at its line and column.
/// </summary>
internal static partial class YamlDocumentReader
{
    // Policies are a few levels deep; the limit only exists so hostile input cannot exhaust the stack.
    private const int MaxDepth = 64;

    /// <summary>Returns the root mapping, or null after reporting why there is none.</summary>
    public static SourceMapping? Read(string text, string sourceName, PolicyDiagnostics diagnostics)
    {
        var reader = new EventReader(new Parser(new StringReader(text)), diagnostics);
        SourceNode? root;
        try
        {
            reader.Advance();
            reader.Expect<StreamStart>();
            if (reader.Current is StreamEnd)
            {
                diagnostics.Invalid("", SourcePosition.Start, $"{sourceName} is empty; a policy needs at least \"version: 1\" and sandbox.image.ref");
                return null;
            }

            reader.Expect<DocumentStart>();
            root = reader.ReadNode(depth: 0, path: "");
            reader.Expect<DocumentEnd>();
            if (reader.Current is DocumentStart extra)
            {
                diagnostics.Invalid("", Position(extra.Start), $"{sourceName} holds more than one YAML document; a policy file is exactly one document");
                return null;
            }
        }
        catch (YamlException e)
        {
            diagnostics.Invalid("", Position(e.Start), "malformed YAML: " + WithoutMarkPrefix(e.Message));
            return null;
        }
        catch (NestingTooDeepException e)
        {
            diagnostics.Invalid("", e.Position, $"YAML nesting is deeper than {MaxDepth} levels");
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these instead of YamlException for some malformed flow collections.
            diagnostics.Invalid("", reader.LastPosition, "malformed YAML: " + e.Message);
            return null;
        }

        switch (root)
        {
            case SourceScalar { IsNull: true }:
                diagnostics.Invalid("", root.Position, $"{sourceName} is empty; a policy needs at least \"version: 1\" and sandbox.image.ref");
                return null;
            case SourceMapping mapping:
                return mapping;
            default:
                diagnostics.Invalid("", root!.Position, "the policy must be a YAML mapping (key: value pairs) at the top level");
                return null;
        }
    }

    internal static SourcePosition Position(Mark mark) =>
        new(Math.Max(1, (int)Math.Min(mark.Line, int.MaxValue)), Math.Max(1, (int)Math.Min(mark.Column, int.MaxValue)));

    private static string WithoutMarkPrefix(string message) => MarkPrefix().Replace(message, "");

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();

    private static bool HasUnpairedSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class NestingTooDeepException(SourcePosition position) : Exception
    {
        public SourcePosition Position { get; } = position;
    }

    private sealed class EventReader(IParser parser, PolicyDiagnostics diagnostics)
    {
        public ParsingEvent? Current { get; private set; }

        public SourcePosition LastPosition { get; private set; } = SourcePosition.Start;

        public void Advance()
        {
            Current = parser.MoveNext() ? parser.Current : null;
            if (Current is not null)
            {
                LastPosition = Position(Current.Start);
            }
        }

        public void Expect<T>() where T : ParsingEvent
        {
            if (Current is not T)
            {
                throw new YamlException(Current?.Start ?? Mark.Empty, Current?.End ?? Mark.Empty,
                    $"expected {typeof(T).Name}, found {Current?.GetType().Name ?? "end of input"}");
            }

            Advance();
        }

        public SourceNode ReadNode(int depth, string path)
        {
            var current = Current ?? throw new YamlException("unexpected end of input");
            var position = Position(current.Start);
            if (depth > MaxDepth)
            {
                throw new NestingTooDeepException(position);
            }

            if (current is NodeEvent { Tag: var tag } && !tag.IsEmpty && !tag.IsNonSpecific)
            {
                diagnostics.Invalid(path, position, $"YAML tags ({tag.Value}) are not supported in policy files");
            }

            switch (current)
            {
                case AnchorAlias alias:
                    // Rejected rather than expanded: expansion is how "billion laughs" documents explode,
                    // and a policy gains nothing from indirection.
                    diagnostics.Invalid(path, position, $"YAML aliases (*{alias.Value}) are not supported in policy files");
                    Advance();
                    return new SourceScalar("", IsPlain: true, position);
                case Scalar scalar:
                    Advance();
                    if (HasUnpairedSurrogate(scalar.Value))
                    {
                        // Only a "\ud800"-style escape can produce one; it cannot be encoded as UTF-8 and
                        // so could not be hashed or sent on faithfully.
                        diagnostics.Invalid(path, position, "value contains an unpaired UTF-16 surrogate, which is not valid Unicode");
                    }

                    return new SourceScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, position);
                case SequenceStart:
                    Advance();
                    var items = ImmutableArray.CreateBuilder<SourceNode>();
                    while (Current is not SequenceEnd)
                    {
                        items.Add(ReadNode(depth + 1, PolicyPath.Item(path, items.Count)));
                    }

                    Advance();
                    return new SourceSequence(items.ToImmutable(), position);
                case MappingStart:
                    Advance();
                    return ReadMappingBody(position, depth, path);
                default:
                    throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
            }
        }

        private SourceMapping ReadMappingBody(SourcePosition position, int depth, string path)
        {
            var entries = ImmutableArray.CreateBuilder<SourceMappingEntry>();
            var seen = new Dictionary<string, SourcePosition>(StringComparer.Ordinal);
            while (Current is not MappingEnd)
            {
                var keyNode = ReadNode(depth + 1, path);
                var key = keyNode as SourceScalar;
                var value = ReadNode(depth + 1, key is null ? path : PolicyPath.Field(path, key.Value));
                if (key is null)
                {
                    diagnostics.Invalid(path, keyNode.Position, "mapping keys must be plain strings");
                    continue;
                }

                if (seen.TryGetValue(key.Value, out var first))
                {
                    diagnostics.Invalid(PolicyPath.Field(path, key.Value), key.Position, $"duplicate key \"{key.Value}\" (first written at line {first.Line}, column {first.Column})");
                    continue;
                }

                seen.Add(key.Value, key.Position);
                entries.Add(new SourceMappingEntry(key, value));
            }

            Advance();
            return new SourceMapping(entries.ToImmutable(), position);
        }
    }
}
