namespace Cleanroom.RuntimeConfig;

/// <summary>One thing wrong with a runtime config file, with where it is.</summary>
public sealed record ConfigProblem(string Path, int Line, int Column, string Message)
{
    public override string ToString() =>
        Line > 0 ? $"{Path} ({Line}:{Column}): {Message}" : $"{Path}: {Message}";
}
