using System.Diagnostics.Metrics;

namespace Cleanroom.Telemetry;

/// <summary>
/// The server's instruments. Names follow OpenTelemetry's conventions (dots, units in <c>unit</c>); the Prometheus
/// endpoint shows them with underscores and unit suffixes (<c>cleanroom_sandbox_create_duration_seconds</c>).
/// </summary>
public static class CleanroomMetrics
{
    // Buckets for durations in seconds, from a warm exec (tens of ms) to a long build: the SDK's default boundaries are
    // for milliseconds (0, 5, 10, ... 10000), which would put every sandbox start in the first bucket or two.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    };

    /// <summary>From a create request to READY (or FAILED); tags: backend, <c>cleanroom.status</c>, warm-pool hit.</summary>
    public static readonly Histogram<double> SandboxCreateDuration = CleanroomTelemetry.Meter.CreateHistogram(
        "cleanroom.sandbox.create.duration", "s", "Time from a create request until the sandbox is READY or FAILED", advice: Seconds);

    /// <summary>From an execution's creation to its end; tag: its final <c>cleanroom.status</c>.</summary>
    public static readonly Histogram<double> ExecutionDuration = CleanroomTelemetry.Meter.CreateHistogram(
        "cleanroom.execution.duration", "s", "Time from an execution's creation until it ended", advice: Seconds);

    public static readonly Counter<long> BlockedConnections = CleanroomTelemetry.Meter.CreateCounter<long>(
        "cleanroom.egress.blocked", "{connection}", "Connections and lookups refused by a sandbox's egress policy");

    /// <summary>Creates that looked for a warm spare; tag <c>hit</c> says whether one was taken.</summary>
    public static readonly Counter<long> WarmPoolRequests = CleanroomTelemetry.Meter.CreateCounter<long>(
        "cleanroom.warm_pool.requests", "{request}", "Sandbox creates that looked for a warm spare");

    /// <summary>Image look-ups by creates; tag <c>hit</c> says whether the image was already in the host's store.</summary>
    public static readonly Counter<long> ImageCacheRequests = CleanroomTelemetry.Meter.CreateCounter<long>(
        "cleanroom.image.cache.requests", "{request}", "Image look-ups by sandbox creates");

    /// <summary>Output bytes of executions, as the workloads wrote them; tag <c>stream</c>: stdout or stderr.</summary>
    public static readonly Counter<long> OutputBytes = CleanroomTelemetry.Meter.CreateCounter<long>(
        "cleanroom.execution.output", "By", "Bytes written by executions to stdout and stderr");

    private static readonly Lock CountsGate = new();
    private static readonly List<Func<IEnumerable<KeyValuePair<string, long>>>> CountSources = [];

    static CleanroomMetrics()
    {
        CleanroomTelemetry.Meter.CreateObservableGauge("cleanroom.sandboxes", ObserveSandboxes, "{sandbox}", "Sandboxes by state, live ones and recorded ended ones");
    }

    /// <summary>
    /// Adds a source of sandbox counts by state to the <c>cleanroom.sandboxes</c> gauge until the result is disposed.
    /// A list rather than one source because tests run several servers in one process; a server process has one.
    /// </summary>
    public static IDisposable ObserveSandboxCounts(Func<IEnumerable<KeyValuePair<string, long>>> counts)
    {
        lock (CountsGate) CountSources.Add(counts);
        return new Registration(counts);
    }

    public static KeyValuePair<string, object?> Hit(bool hit) => new("hit", hit);

    private static IEnumerable<Measurement<long>> ObserveSandboxes()
    {
        Func<IEnumerable<KeyValuePair<string, long>>>[] sources;
        lock (CountsGate) sources = [.. CountSources];
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var (state, count) in source())
                totals[state] = totals.GetValueOrDefault(state) + count;
        }
        return totals.Select(t => new Measurement<long>(t.Value, new KeyValuePair<string, object?>("state", t.Key)));
    }

    private sealed class Registration(Func<IEnumerable<KeyValuePair<string, long>>> counts) : IDisposable
    {
        public void Dispose()
        {
            lock (CountsGate) CountSources.Remove(counts);
        }
    }
}
