using System.Globalization;
using System.Text;

namespace Cleanroom.Policy.Json;

/// <summary>
/// A minimal JSON writer whose output is fully determined by the calls made: no whitespace, and strings
/// escape only what JSON requires (quote, backslash, control characters, unpaired surrogates). A general
/// serializer's escaping rules can change between releases; a hash over its output would change with them.
/// </summary>
internal sealed class CanonicalJsonWriter
{
    private readonly StringBuilder _text = new();
    private bool _needsComma;

    public override string ToString() => _text.ToString();

    public CanonicalJsonWriter StartObject() => Open('{');

    public CanonicalJsonWriter EndObject() => Close('}');

    public CanonicalJsonWriter StartArray() => Open('[');

    public CanonicalJsonWriter EndArray() => Close(']');

    public CanonicalJsonWriter Name(string name)
    {
        Separate();
        WriteString(name);
        _text.Append(':');
        _needsComma = false;
        return this;
    }

    public CanonicalJsonWriter String(string? value)
    {
        Separate();
        if (value is null)
        {
            _text.Append("null");
        }
        else
        {
            WriteString(value);
        }

        _needsComma = true;
        return this;
    }

    public CanonicalJsonWriter Number(long? value) =>
        Raw(value?.ToString(CultureInfo.InvariantCulture) ?? "null");

    public CanonicalJsonWriter Boolean(bool value) => Raw(value ? "true" : "false");

    private CanonicalJsonWriter Raw(string token)
    {
        Separate();
        _text.Append(token);
        _needsComma = true;
        return this;
    }

    private CanonicalJsonWriter Open(char bracket)
    {
        Separate();
        _text.Append(bracket);
        _needsComma = false;
        return this;
    }

    private CanonicalJsonWriter Close(char bracket)
    {
        _text.Append(bracket);
        _needsComma = true;
        return this;
    }

    private void Separate()
    {
        if (_needsComma)
        {
            _text.Append(',');
        }
    }

    private void WriteString(string value)
    {
        _text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': _text.Append("\\\""); break;
                case '\\': _text.Append("\\\\"); break;
                case '\n': _text.Append("\\n"); break;
                case '\r': _text.Append("\\r"); break;
                case '\t': _text.Append("\\t"); break;
                case '\b': _text.Append("\\b"); break;
                case '\f': _text.Append("\\f"); break;
                default:
                    if (c < 0x20 || (char.IsSurrogate(c) && !IsPairedSurrogate(value, i)))
                    {
                        _text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        _text.Append(c);
                    }

                    break;
            }
        }

        _text.Append('"');
    }

    private static bool IsPairedSurrogate(string value, int i) =>
        char.IsHighSurrogate(value[i])
            ? i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
            : i > 0 && char.IsHighSurrogate(value[i - 1]);
}
