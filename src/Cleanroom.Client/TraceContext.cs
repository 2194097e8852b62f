using System.Diagnostics;

namespace Cleanroom.Client;

/// <summary>
/// W3C trace contexts for <see cref="CleanroomClientOptions.TraceParent"/>: the server traces each call as a child of
/// the context's span, so everything one client did (the CLI's create, exec and terminate of an <c>exec --rm</c>) is one
/// trace whose id the caller knows.
/// </summary>
public static class TraceContext
{
    /// <summary>The variable a caller's own trace context comes from (the convention of CI systems and otel-cli).</summary>
    public const string EnvironmentVariable = "TRACEPARENT";

    /// <summary>A new sampled context: a fresh trace id and a parent span id that stands for this client's work.</summary>
    public static string NewTraceParent() =>
        new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).ToTraceParent();

    /// <summary>Whether <paramref name="traceParent"/> is a well-formed W3C <c>traceparent</c> value.</summary>
    public static bool IsValid(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out _);

    /// <summary>The trace id of <paramref name="traceParent"/>, as 32 hex digits.</summary>
    public static string TraceId(string traceParent) =>
        ActivityContext.Parse(traceParent, null).TraceId.ToHexString();

    private static string ToTraceParent(this ActivityContext context) =>
        $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00")}";
}
