using Cleanroom.Errors;
using Microsoft.AspNetCore.Http;

namespace Cleanroom.Api.Connect;

/// <summary>
/// The call's cancellation: the client going away, or the deadline from <c>Connect-Timeout-Ms</c> passing.
/// Also validates <c>Connect-Protocol-Version</c>, which clients may omit (curl does) but must not get wrong.
/// </summary>
internal sealed class ConnectCallDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _clientGone;

    private ConnectCallDeadline(CancellationTokenSource source, DateTime deadline, CancellationToken clientGone)
    {
        _source = source;
        Deadline = deadline;
        _clientGone = clientGone;
    }

    public DateTime Deadline { get; }
    public CancellationToken Token => _source.Token;
    /// <summary>The call was cancelled by its timer, not by the client leaving.</summary>
    public bool Expired => Deadline != DateTime.MaxValue && _source.IsCancellationRequested && !_clientGone.IsCancellationRequested;

    /// <exception cref="CleanroomException">invalid_argument for a malformed timeout or an unknown protocol version.</exception>
    public static ConnectCallDeadline From(HttpContext http)
    {
        var version = http.Request.Headers["Connect-Protocol-Version"].ToString();
        if (version.Length > 0 && version != "1")
            throw new CleanroomException(ErrorCode.InvalidArgument, $"Connect-Protocol-Version {version} is not supported; use 1");

        var source = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var timeout = http.Request.Headers["Connect-Timeout-Ms"].ToString();
        if (timeout.Length == 0) return new ConnectCallDeadline(source, DateTime.MaxValue, http.RequestAborted);
        // The spec allows at most 10 digits.
        if (timeout.Length > 10 || !long.TryParse(timeout, System.Globalization.NumberStyles.None, null, out var milliseconds))
        {
            source.Dispose();
            throw new CleanroomException(ErrorCode.InvalidArgument, $"Connect-Timeout-Ms '{timeout}' is not a number of milliseconds");
        }
        var span = TimeSpan.FromMilliseconds(Math.Min(milliseconds, (long)TimeSpan.FromDays(365).TotalMilliseconds));
        source.CancelAfter(span);
        return new ConnectCallDeadline(source, DateTime.UtcNow + span, http.RequestAborted);
    }

    public void Dispose() => _source.Dispose();
}
