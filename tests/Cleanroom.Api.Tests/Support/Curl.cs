namespace Cleanroom.Api.Tests.Support;

/// <summary>The system curl, the "any HTTP tool" client the Connect protocol promises to serve.</summary>
public static class Curl
{
    public static bool Missing(out string why)
    {
        var found = ChildProcess.OnPath("curl");
        why = found ? "" : "curl is not on PATH";
        return !found;
    }

    public static Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] arguments) =>
        ChildProcess.RunAsync("curl", arguments, timeout: TimeSpan.FromSeconds(30));
}
