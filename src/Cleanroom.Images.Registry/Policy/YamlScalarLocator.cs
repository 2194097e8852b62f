using Cleanroom.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Cleanroom.Images.Registry.Policy;

/// <summary>
/// Finds one scalar by its mapping path (<c>sandbox</c> → <c>image</c> → <c>ref</c>) in YAML text and gives its exact
/// character range, so a caller can replace that scalar and leave every other character — comments, quoting,
/// indentation, line endings — as it was.
/// </summary>
internal static class YamlScalarLocator
{
    public sealed record Located(string Value, int Start, int End, ScalarStyle Style);

    public static Located Find(string yaml, string what, params string[] path)
    {
        var parser = new Parser(new StringReader(yaml));
        try
        {
            parser.Consume<StreamStart>();
            if (!parser.TryConsume<DocumentStart>(out _) || !parser.TryConsume<MappingStart>(out _))
            {
                throw Missing(what, path);
            }

            for (var depth = 0; depth < path.Length; depth++)
            {
                if (!SeekKey(parser, path[depth]))
                {
                    throw Missing(what, path);
                }

                var last = depth == path.Length - 1;
                if (last)
                {
                    return parser.Current is Scalar scalar && scalar.Style is not (ScalarStyle.Literal or ScalarStyle.Folded)
                        ? new Located(scalar.Value, checked((int)scalar.Start.Index), checked((int)scalar.End.Index), scalar.Style)
                        : throw new CleanroomException(ErrorCode.PolicyInvalid, $"{what}: {string.Join('.', path)} must be a one-line scalar");
                }

                if (!parser.TryConsume<MappingStart>(out _))
                {
                    throw Missing(what, path);
                }
            }

            throw Missing(what, path);
        }
        catch (YamlException e)
        {
            throw new CleanroomException(ErrorCode.PolicyInvalid, $"{what} is not valid YAML (line {e.Start.Line}): {e.Message}", e);
        }
    }

    // Leaves the parser on the value of `key` in the current mapping; false at the mapping's end.
    private static bool SeekKey(IParser parser, string key)
    {
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var isKey = parser.TryConsume<Scalar>(out var scalar) && scalar.Value == key;
            if (scalar is null)
            {
                parser.SkipThisAndNestedEvents(); // a complex key
            }

            if (isKey)
            {
                return true;
            }

            parser.SkipThisAndNestedEvents(); // the value of another key
        }

        return false;
    }

    private static CleanroomException Missing(string what, string[] path) =>
        new(ErrorCode.PolicyInvalid, $"{what} has no {string.Join('.', path)}");
}
