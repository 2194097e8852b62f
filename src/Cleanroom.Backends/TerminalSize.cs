namespace Cleanroom.Backends;

/// <summary>A terminal's size in character cells, as a client's window has it.</summary>
public readonly record struct TerminalSize(ushort Rows, ushort Columns)
{
    /// <summary>What a terminal is assumed to be when nobody says: the VT100's 24 by 80.</summary>
    public static TerminalSize Default { get; } = new(24, 80);
}
