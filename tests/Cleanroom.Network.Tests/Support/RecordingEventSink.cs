using System.Collections.Immutable;

namespace Cleanroom.Network.Tests;

/// <summary>Keeps every egress event and lets a test wait for one with a deadline.</summary>
public sealed class RecordingEventSink : IEgressEventSink
{
    private readonly object _gate = new();
    private ImmutableList<object> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<BlockedConnection> Blocked => Of<BlockedConnection>();

    public IReadOnlyList<HostNotAllowed> Refused => Of<HostNotAllowed>();

    public IReadOnlyList<AllowedResolution> Resolutions => Of<AllowedResolution>();

    public void BlockedConnection(BlockedConnection blocked) => Add(blocked);

    public void HostNotAllowed(HostNotAllowed refused) => Add(refused);

    public void AllowedResolution(AllowedResolution resolution) => Add(resolution);

    /// <summary>Waits until some event of type <typeparamref name="T"/> matches; fails the test after the deadline.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan? deadline = null)
    {
        using var timeout = new CancellationTokenSource(deadline ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_events.OfType<T>().FirstOrDefault(match) is { } found)
                    return found;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} matched within the deadline; events: {string.Join("; ", _events)}");
            }
        }
    }

    private IReadOnlyList<T> Of<T>()
    {
        lock (_gate)
            return _events.OfType<T>().ToList();
    }

    private void Add(object e)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _events = _events.Add(e);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }
}
