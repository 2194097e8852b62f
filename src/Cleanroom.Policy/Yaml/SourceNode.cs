using System.Collections.Immutable;

namespace Cleanroom.Policy.Yaml;

/// <summary>A 1-based line and column in the policy text, as users see them in their editor.</summary>
internal readonly record struct SourcePosition(int Line, int Column)
{
    public static readonly SourcePosition Start = new(1, 1);
}

/// <summary>
/// A YAML node that remembers where it was written. The policy is validated on this tree, not on
/// deserialised objects, so that every error can point at a line and column and unknown keys are visible.
/// </summary>
internal abstract record SourceNode(SourcePosition Position);

/// <summary>A scalar; <see cref="IsPlain"/> tells an unquoted <c>443</c> (a number) from <c>"443"</c> (a string).</summary>
internal sealed record SourceScalar(string Value, bool IsPlain, SourcePosition Position) : SourceNode(Position)
{
    /// <summary>YAML 1.2 core-schema nulls: an empty value, <c>~</c> or <c>null</c>, unquoted.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

internal sealed record SourceSequence(ImmutableArray<SourceNode> Items, SourcePosition Position) : SourceNode(Position);

internal sealed record SourceMapping(ImmutableArray<SourceMappingEntry> Entries, SourcePosition Position) : SourceNode(Position);

/// <summary>Keys are always scalars: the reader rejects complex keys before building the tree.</summary>
internal sealed record SourceMappingEntry(SourceScalar Key, SourceNode Value);
