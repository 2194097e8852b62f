namespace Cleanroom.Backends.Gvisor;

/// <summary>
/// Waits for the agent's socket to appear in the channel directory after a restore (the agent, woken by a signal,
/// binds and listens under a temporary name and then renames it into place, so its appearance means it accepts).
/// Watched with inotify (no polling); the watch starts before the agent is woken, and the file's presence is checked
/// after that, so an appearance between the two is not missed.
/// </summary>
internal sealed class ChannelSocketAppearance : IDisposable
{
    private readonly string _path;
    private readonly FileSystemWatcher _watcher;
    private readonly TaskCompletionSource _appeared = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelSocketAppearance(SandboxLayout layout)
    {
        _path = layout.AgentSocketPath;
        _watcher = new FileSystemWatcher(layout.ChannelDirectory, StagedAgent.SocketName)
        {
            NotifyFilter = NotifyFilters.FileName,
        };
        _watcher.Created += (_, _) => _appeared.TrySetResult();
        _watcher.Renamed += (_, e) =>
        {
            if (e.Name == StagedAgent.SocketName)
                _appeared.TrySetResult();
        };
        _watcher.EnableRaisingEvents = true;
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(_path))
            _appeared.TrySetResult();
        return _appeared.Task.WaitAsync(cancellationToken);
    }

    public void Dispose() => _watcher.Dispose();
}
