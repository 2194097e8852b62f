using Cleanroom.Errors;

namespace Cleanroom.Cli.Terminal;

/// <summary>
/// The key sequence that leaves an attached terminal session while its command goes on (<c>--detach-keys</c>,
/// docker's format: <c>ctrl-p,ctrl-q</c>, letters and <c>ctrl-a</c> ... <c>ctrl-z</c>, <c>ctrl-@</c>,
/// <c>ctrl-[</c>, <c>ctrl-\</c>, <c>ctrl-]</c>, <c>ctrl-^</c>, <c>ctrl-_</c>).
/// </summary>
internal sealed class DetachKeys
{
    public const string Default = "ctrl-p,ctrl-q";

    private readonly byte[] _sequence;
    private int _matched;

    private DetachKeys(byte[] sequence) => _sequence = sequence;

    public static DetachKeys Parse(string? spec)
    {
        spec = string.IsNullOrEmpty(spec) ? Default : spec;
        var keys = new List<byte>();
        foreach (var part in spec.Split(','))
        {
            keys.Add(KeyOf(part.Trim(), spec));
        }

        return new DetachKeys([.. keys]);
    }

    /// <summary>
    /// Feeds typed bytes through: returns what to send on, and whether the sequence was completed. Bytes that start
    /// the sequence are held back until it is completed (then dropped) or broken (then sent as typed).
    /// </summary>
    public (byte[] Forward, bool Detach) Scan(ReadOnlySpan<byte> typed)
    {
        var forward = new List<byte>(typed.Length + _matched);
        foreach (var b in typed)
        {
            if (b == _sequence[_matched])
            {
                _matched++;
                if (_matched == _sequence.Length)
                {
                    _matched = 0;
                    return ([.. forward], true);
                }

                continue;
            }

            // The held-back prefix was typing after all; the byte itself may start the sequence again.
            forward.AddRange(_sequence.AsSpan(0, _matched));
            _matched = 0;
            if (b == _sequence[0])
            {
                _matched = 1;
                if (_sequence.Length == 1)
                {
                    _matched = 0;
                    return ([.. forward], true);
                }
            }
            else
            {
                forward.Add(b);
            }
        }

        return ([.. forward], false);
    }

    private static byte KeyOf(string key, string spec)
    {
        if (key.Length == 1 && key[0] is >= ' ' and <= '~')
        {
            return (byte)key[0];
        }

        if (key.StartsWith("ctrl-", StringComparison.OrdinalIgnoreCase) && key.Length == 6)
        {
            var c = char.ToUpperInvariant(key[5]);
            if (c is >= '@' and <= '_')
            {
                return (byte)(c - '@');
            }
        }

        throw new CleanroomException(ErrorCode.InvalidArgument,
            $"--detach-keys '{spec}': '{key}' is not a key; use letters or ctrl-<letter>, separated by commas (default {Default})");
    }
}
