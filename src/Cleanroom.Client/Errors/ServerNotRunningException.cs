using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Api.Errors;

/// <summary>Nothing listens on the address the client tried. The CLI prints <see cref="Exception.Message"/> as its one line.</summary>
public sealed class ServerNotRunningException : CleanroomException
{
    /// <summary>Nothing answered at <paramref name="address"/>.</summary>
    public ServerNotRunningException(ApiAddress address, Exception? inner = null)
        : base(ApiErrorCode.ServerNotRunning,
            $"no cleanroom server is listening on {address}; start one with `cleanroom serve &`", inner)
    {
        Address = address;
    }

    /// <summary>Where the client looked.</summary>
    public ApiAddress Address { get; }
}
