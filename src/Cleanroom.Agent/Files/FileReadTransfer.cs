using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Protocol.Messages;

namespace Cleanroom.Agent.Files;

/// <summary>
/// Sends a guest file to the host as FileData frames and a FileEnd, within the output credit the host
/// grants on the channel (the same flow control as an execution's output). Runs on a worker thread.
/// </summary>
internal sealed class FileReadTransfer(uint channel, FileReadMessage request, OutboundFrames outbound) : ICreditedTransfer
{
    private readonly CreditWindow _credit = new(request.InitialCredit);

    public void GrantCredit(uint bytes) => _credit.Grant(bytes);

    /// <summary>Stops a transfer waiting for credit (connection ending).</summary>
    public void Abort() => _credit.Close();

    public void Run()
    {
        if (GuestPath.Problem(request.Path) is { } problem)
        {
            outbound.Send(FrameType.Error, channel, new ErrorMessage(AgentErrorCodes.InvalidPath, problem, 0).Encode());
            return;
        }
        try
        {
            using var file = new FileStream(request.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[ProtocolConstants.DataChunkSize];
            while (true)
            {
                var allowed = _credit.Take(buffer.Length);
                if (allowed == 0)
                    return; // aborted
                var read = file.Read(buffer, 0, allowed);
                _credit.Return(allowed - read);
                if (read == 0)
                    break;
                if (!outbound.Send(FrameType.FileData, channel, buffer.AsSpan(0, read)))
                    return;
            }
            outbound.Send(FrameType.FileEnd, channel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            outbound.Send(FrameType.Error, channel, FileErrors.Describe(request.Path, "read", e).Encode());
        }
    }
}
