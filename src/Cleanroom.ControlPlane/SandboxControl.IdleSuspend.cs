using Cleanroom.Backends;
using Microsoft.Extensions.Logging;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Idle suspend (<see cref="ControlPlaneOptions.IdleSuspendAfter"/>): a READY sandbox whose backend can suspend it, in
/// which no command runs, through which no port connection is open, and which nothing has used for that long, is
/// suspended. Warm-pool spares are not sandboxes of the control plane until a create takes one, so they never are.
/// A sandbox whose suspend fails (it runs on) is tried again only after another idle period.
/// </summary>
public sealed partial class SandboxControl
{
    private ITimer? _idleTimer;

    private void StartIdleSuspend()
    {
        if (_options.IdleSuspendAfter is not { } idle || idle <= TimeSpan.Zero)
            return;
        // A quarter of the idle time between looks (within 0.25-30 s): a sandbox is suspended at most that late.
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(30).Ticks));
        _idleTimer = _time.CreateTimer(_ => SuspendIdle(idle), null, period, period);
    }

    private void SuspendIdle(TimeSpan idle)
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        foreach (var live in _live.Values)
        {
            lock (live.Gate)
            {
                if (live.Status != SandboxStatus.Ready || live.Handle is not ISuspendableSandbox handle || live.Transitioning is not null
                    || live.Termination is not null || live.Runs.Count > 0 || Volatile.Read(ref live.OpenPortConnections) > 0
                    || _time.GetElapsedTime(live.LastUsedTicks) < idle)
                {
                    continue;
                }
                // Counted from now again, so a sandbox that cannot be suspended is not tried at every look.
                live.LastUsedTicks = _time.GetTimestamp();
                _logger.LogInformation("sandbox {SandboxId} has been idle for {Idle} s: suspending it", live.Id, idle.TotalSeconds);
                live.Transitioning = Task.Run(() => SuspendIdleAsync(live, handle));
            }
        }
    }

    private async Task SuspendIdleAsync(LiveSandbox live, ISuspendableSandbox handle)
    {
        try
        {
            await SuspendLiveAsync(live, handle).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning("idle suspend of sandbox {SandboxId} failed: {Reason}", live.Id, e.Message);
        }
    }
}
