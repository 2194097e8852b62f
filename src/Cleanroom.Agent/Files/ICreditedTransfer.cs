namespace Cleanroom.Agent.Files;

/// <summary>A transfer that sends data to the host within the output credit granted on its channel.</summary>
internal interface ICreditedTransfer
{
    void GrantCredit(uint bytes);

    /// <summary>Stops a transfer waiting for credit (connection ending).</summary>
    void Abort();
}
