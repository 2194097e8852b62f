namespace Cleanroom.Backends;

/// <summary>
/// The Linux signal numbers the control plane sends. Numbers, not .NET's PosixSignal, because they
/// cross into the guest and the wire as they are.
/// </summary>
public static class SignalNumbers
{
    public const int Hangup = 1;
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Terminate = 15;
}
