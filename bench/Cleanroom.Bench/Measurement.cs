using System.Diagnostics;

namespace Cleanroom.Bench;

/// <summary>Timing samples of one thing, summarised the way the README reports them.</summary>
internal sealed record Measurement(string Name, IReadOnlyList<double> Milliseconds)
{
    public double Median
    {
        get
        {
            var sorted = Milliseconds.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    public double Min => Milliseconds.Min();

    public double Max => Milliseconds.Max();

    public static async Task<Measurement> TimeAsync(string name, int runs, Func<Task> action, int warmups = 1)
    {
        for (var i = 0; i < warmups; i++)
        {
            await action();
        }

        var samples = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await action();
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }

        return new Measurement(name, samples);
    }

    /// <summary>
    /// Times two things run by run in turn (after a warm-up of each), so load that comes and goes on a shared host
    /// falls on both alike and their ratio stays fair. <paramref name="idleBeforeEach"/> leaves the host idle for
    /// that long before every timed run of either (a load model: commands of an agent or a person arrive apart,
    /// and the server's background work, such as the warm pool's next spare, happens between them).
    /// </summary>
    public static async Task<(Measurement First, Measurement Second)> TimeAlternatingAsync(
        string firstName, Func<Task> first, string secondName, Func<Task> second, int runs, TimeSpan idleBeforeEach = default)
    {
        await first();
        await second();
        var (a, b) = (new List<double>(runs), new List<double>(runs));
        for (var i = 0; i < runs; i++)
        {
            await Task.Delay(idleBeforeEach);
            var clock = Stopwatch.StartNew();
            await first();
            a.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(idleBeforeEach);
            clock.Restart();
            await second();
            b.Add(clock.Elapsed.TotalMilliseconds);
        }

        return (new Measurement(firstName, a), new Measurement(secondName, b));
    }
}
