namespace Cleanroom.HostProcesses;

/// <summary>What a finished external program left behind (stdout as bytes: git and tar output is binary).</summary>
public sealed record HostProgramResult(IReadOnlyList<string> Argv, int ExitCode, byte[] Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
}
