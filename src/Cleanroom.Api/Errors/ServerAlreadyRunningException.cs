using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Api.Errors;

/// <summary>A live server already answers on the address <c>cleanroom serve</c> was asked to listen on.</summary>
public sealed class ServerAlreadyRunningException : CleanroomException
{
    public ServerAlreadyRunningException(ApiAddress address, string detail, Exception? inner = null)
        : base(ApiErrorCode.ServerAlreadyRunning, $"a cleanroom server is already running on {address} ({detail})", inner)
    {
        Address = address;
    }

    public ApiAddress Address { get; }
}
