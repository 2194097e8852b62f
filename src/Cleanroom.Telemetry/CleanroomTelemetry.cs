using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cleanroom.Telemetry;

/// <summary>
/// The one <see cref="ActivitySource"/> and <see cref="Meter"/> of the server, both named <see cref="Name"/>.
/// Starting a span or recording a measurement costs next to nothing while nothing listens (no exporter configured):
/// <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> then returns null.
/// </summary>
public static class CleanroomTelemetry
{
    /// <summary>The name exporters subscribe to, for spans and metrics alike.</summary>
    public const string Name = "Cleanroom";

    public static readonly ActivitySource Source = new(Name, typeof(CleanroomTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(Name, typeof(CleanroomTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts an internal span named <paramref name="name"/>, tagged with the sandbox (and execution) it concerns.</summary>
    public static Activity? StartSpan(string name, string? sandboxId = null, string? executionId = null, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        if (activity is null) return null;
        if (sandboxId is not null) activity.SetTag(TelemetryTags.SandboxId, sandboxId);
        if (executionId is not null) activity.SetTag(TelemetryTags.ExecutionId, executionId);
        return activity;
    }

    /// <summary>Marks <paramref name="activity"/> failed with the stable code of what went wrong, if it has one.</summary>
    public static void RecordFailure(this Activity? activity, Exception failure, string? code)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, failure.Message);
        if (code is not null) activity.SetTag(TelemetryTags.ErrorCode, code);
        activity.SetTag("error.type", failure.GetType().FullName);
    }
}
