using System.Runtime.InteropServices;

namespace Cleanroom.Agent;

/// <summary>
/// SIGUSR1, which the host sends to the agent (PID 1) with <c>runsc kill</c> once a suspended sandbox is restored:
/// the agent then listens again. A signal, because a suspended agent holds no socket the host could reach it by. Signals
/// from before the suspend (a workload's stray kill) are forgotten when it starts (<see cref="Forget"/>).
/// </summary>
internal sealed class WakeSignal : IDisposable
{
    private const int SigUsr1 = 10;

    private readonly SemaphoreSlim _signalled = new(0, 1);
    private readonly PosixSignalRegistration _registration;

    private WakeSignal()
    {
        // A raw signal number cast to PosixSignal is allowed on Unix; Cancel keeps the default action (terminate) away.
        _registration = PosixSignalRegistration.Create((PosixSignal)SigUsr1, context =>
        {
            context.Cancel = true;
            try
            {
                _signalled.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled and not yet consumed.
            }
        });
    }

    public static WakeSignal Register() => new();

    /// <summary>Forgets a signal that arrived while nobody waited: only one sent after the suspend began may wake the agent.</summary>
    public void Forget()
    {
        while (_signalled.Wait(0))
        {
        }
    }

    /// <summary>Blocks until the signal arrives (or has arrived since <see cref="Forget"/>).</summary>
    public void Wait() => _signalled.Wait();

    public void Dispose()
    {
        _registration.Dispose();
        _signalled.Dispose();
    }
}
