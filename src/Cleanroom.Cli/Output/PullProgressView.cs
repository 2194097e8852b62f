using Cleanroom.Images.Registry;
using Spectre.Console;

namespace Cleanroom.Cli.Output;

/// <summary>
/// Shows a pull as it goes: one progress bar per blob on a terminal, otherwise one stderr line per finished blob,
/// so logs of non-interactive runs stay readable.
/// </summary>
internal static class PullProgressView
{
    public static async Task<T> RunAsync<T>(CliConsole console, bool quiet, Func<IProgress<PullProgress>, Task<T>> pull)
    {
        if (quiet)
        {
            return await pull(new Progress<PullProgress>(_ => { }));
        }

        if (!console.InteractiveProcess || Console.IsErrorRedirected)
        {
            return await pull(new SynchronousProgress(p =>
            {
                if (p.Stage is PullStage.Verified or PullStage.Present)
                {
                    console.Error.WriteLine($"{p.Kind} {p.Blob.ToString()[..19]}: {(p.Stage == PullStage.Present ? "already present" : $"{p.BytesTotal} bytes verified")}");
                }
            }));
        }

        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await terminal.Progress().AutoClear(false).StartAsync(async context =>
        {
            var bars = new Dictionary<string, ProgressTask>();
            result = await pull(new SynchronousProgress(p =>
            {
                var key = p.Blob.ToString();
                if (!bars.TryGetValue(key, out var bar))
                {
                    bar = bars[key] = context.AddTask($"{p.Kind} {key[7..19]}", maxValue: Math.Max(1, p.BytesTotal));
                }

                bar.Value = p.Stage is PullStage.Present or PullStage.Verified ? bar.MaxValue : p.BytesDone;
            }));
        });
        return result;
    }

    /// <summary>Reports on the caller's thread, in order: <see cref="Progress{T}"/> would post to the thread pool.</summary>
    private sealed class SynchronousProgress(Action<PullProgress> report) : IProgress<PullProgress>
    {
        private readonly object _gate = new();

        public void Report(PullProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
