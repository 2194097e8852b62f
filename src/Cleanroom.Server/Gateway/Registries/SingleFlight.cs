using System.Collections.Concurrent;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// One run of a fill per key at a time: callers arriving while a fill of the same key runs wait for it and get its
/// outcome (its result or its failure) instead of starting a second one. The fill runs under its own token, not the first
/// caller's, so one client hanging up does not fail the others; it leaves the table before its outcome is published, so
/// a caller arriving after a failure starts a fresh fill.
/// </summary>
internal sealed class SingleFlight<T>
{
    private readonly ConcurrentDictionary<string, Task<T>> _running = new(StringComparer.Ordinal);

    public Task<T> RunAsync(string key, Func<Task<T>> fill, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_running.TryGetValue(key, out var running))
                return running.WaitAsync(cancellationToken);
            var outcome = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_running.TryAdd(key, outcome.Task))
                continue;
            _ = Task.Run(async () =>
            {
                T result = default!;
                Exception? failure = null;
                try
                {
                    result = await fill().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                }

                _running.TryRemove(new KeyValuePair<string, Task<T>>(key, outcome.Task));
                if (failure is null)
                    outcome.SetResult(result);
                else
                    outcome.SetException(failure);
            }, CancellationToken.None);
            return outcome.Task.WaitAsync(cancellationToken);
        }
    }
}
