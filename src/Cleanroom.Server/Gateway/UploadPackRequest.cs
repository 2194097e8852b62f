using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// What a smart-HTTP <c>git-upload-pack</c> request body asks for, read from its pkt-lines: the object ids it wants
/// and, for protocol v2, the command (<c>fetch</c> or <c>ls-refs</c>). Only a fetch with wants can be served from a
/// mirror; anything else (ls-refs, unknown shapes) goes upstream. The body is small (negotiation, not data) and may be
/// gzip-compressed by git.
/// </summary>
internal sealed partial record UploadPackRequest(byte[] Body, IReadOnlyList<string> Wants, string? Command)
{
    /// <summary>Bodies larger than this are not parsed (git streams very large negotiations chunked): they go upstream.</summary>
    public const int MaximumBody = 1 << 20;

    public bool IsFetch => Wants.Count > 0 && Command is null or "fetch";

    /// <summary>Null when the body is not a well-formed pkt-line stream.</summary>
    public static UploadPackRequest? Parse(byte[] body, bool gzip)
    {
        byte[] plain;
        try
        {
            plain = gzip ? Gunzip(body) : body;
        }
        catch (InvalidDataException)
        {
            return null;
        }

        var wants = new List<string>();
        string? command = null;
        var position = 0;
        while (position + 4 <= plain.Length)
        {
            if (!int.TryParse(Encoding.ASCII.GetString(plain, position, 4), System.Globalization.NumberStyles.HexNumber, null, out var length))
                return null;
            if (length is 0 or 1 or 2)
            {
                position += 4; // flush, delimiter, response-end
                continue;
            }

            if (length < 4 || position + length > plain.Length)
                return null;
            var line = Encoding.ASCII.GetString(plain, position + 4, length - 4).TrimEnd('\n');
            position += length;
            if (line.StartsWith("command=", StringComparison.Ordinal))
                command = line["command=".Length..];
            else if (WantLine().Match(line) is { Success: true } want)
                wants.Add(want.Groups[1].Value);
        }

        return position == plain.Length ? new UploadPackRequest(plain, wants, command) : null;
    }

    private static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = input.Read(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
            if (output.Length > 8 * MaximumBody)
                throw new InvalidDataException("the request inflates beyond what a negotiation needs");
        }

        return output.ToArray();
    }

    [GeneratedRegex("^want ([0-9a-f]{40}|[0-9a-f]{64})(?: |$)")]
    private static partial Regex WantLine();
}
