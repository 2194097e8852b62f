namespace Cleanroom.Errors;

/// <summary>
/// A failure with a stable <see cref="ErrorCode"/>. Every component throws this (or a subtype) for
/// failures a user or a program must be able to tell apart; anything else is a bug.
/// </summary>
public class CleanroomException : Exception
{
    public CleanroomException(string code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    /// <summary>One of the <see cref="ErrorCode"/> constants.</summary>
    public string Code { get; }
}
