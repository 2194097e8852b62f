namespace Cleanroom.Cli.Diagnostics;

public enum CheckOutcome
{
    Pass,
    Warn,
    Fail,
}

/// <summary>One doctor finding: what was checked, how it went, and how to fix it when it did not pass.</summary>
public sealed record HostCheck(string Name, CheckOutcome Outcome, string Detail, string? Fix = null);
