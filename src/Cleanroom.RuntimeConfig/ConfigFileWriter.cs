namespace Cleanroom.RuntimeConfig;

/// <summary>Writes a config file whole or not at all: a crash mid-write must not leave half a config.</summary>
public static class ConfigFileWriter
{
    public static void Write(string path, string text)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
