namespace Cleanroom.Agent.Files;

/// <summary>
/// The agent's file creation mask, read once from /proc/self/status (changing it to read it would race with
/// commands being spawned, which inherit it). 022 when it cannot be read.
/// </summary>
internal static class Umask
{
    public static readonly int Value = Read();

    private static int Read()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                    return Convert.ToInt32(line["Umask:".Length..].Trim(), 8);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0x12; // 022
    }
}
