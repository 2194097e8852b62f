namespace Cleanroom.Server.Gateway;

/// <summary>
/// Reads one host-held value (a git credential's token, a secret) from the server's environment or a file, the way
/// every such value is read: trimmed, non-empty, no control characters (it goes into an HTTP header). Read each time
/// it is needed, so a rotated file takes effect without a restart. A problem is described without the value.
/// </summary>
internal static class HostSecretReader
{
    public static string? Read(string? environmentName, string? file, Func<string, string?> environment, out string? problem)
    {
        problem = null;
        string? value;
        if (environmentName is not null)
        {
            value = environment(environmentName);
            if (value is null)
            {
                problem = "the variable is not set in the server's environment";
                return null;
            }
        }
        else
        {
            try
            {
                value = File.ReadAllText(file!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem = e is FileNotFoundException or DirectoryNotFoundException ? "the file does not exist" : "the file cannot be read";
                return null;
            }
        }

        value = value.Trim();
        if (value.Length == 0)
        {
            problem = "it is empty";
            return null;
        }

        if (value.Any(char.IsControl))
        {
            problem = "it holds control characters";
            return null;
        }

        return value;
    }
}
