namespace Cleanroom.HostProcesses;

/// <summary>The last part of a program's output or a log file, trimmed, for error messages.</summary>
public static class TextTail
{
    public const int DefaultLength = 2000;

    public static string Of(string text, int length = DefaultLength)
    {
        text = text.Trim();
        if (text.Length == 0)
            return "(nothing)";
        return text.Length <= length ? text : "…" + text[^length..];
    }

    /// <summary>The tail of a file, or null when it is missing or unreadable.</summary>
    public static string? OfFile(string path, int length = DefaultLength)
    {
        try
        {
            if (!File.Exists(path))
                return null;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (stream.Length > length * 4)
                stream.Seek(-length * 4, SeekOrigin.End);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd().Trim();
            return text.Length == 0 ? null : Of(text, length);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
