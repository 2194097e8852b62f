using Cleanroom.Api.V1;
using Google.Protobuf.WellKnownTypes;

namespace Cleanroom.Cli.Output;

/// <summary>How API records read for a person: statuses as words, local times, short hashes.</summary>
internal static class HumanFormat
{
    public static string Status(SandboxStatus status) => status.ToString().ToUpperInvariant();

    public static string Status(ExecutionStatus status) => status switch
    {
        ExecutionStatus.TimedOut => "TIMED_OUT",
        _ => status.ToString().ToUpperInvariant(),
    };

    public static string Time(Timestamp? time) =>
        time is null ? "-" : time.ToDateTimeOffset().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss");

    public static string ShortHash(string hash) =>
        hash.StartsWith("sha256:", StringComparison.Ordinal) && hash.Length > 19 ? hash[..19] : hash;

    public static void Sandbox(TextWriter writer, Sandbox sandbox)
    {
        writer.WriteLine($"sandbox:     {sandbox.SandboxId}");
        writer.WriteLine($"status:      {Status(sandbox.Status)}");
        writer.WriteLine($"backend:     {(sandbox.Backend.Length == 0 ? "-" : sandbox.Backend)}");
        writer.WriteLine($"image:       {sandbox.ImageRef}");
        writer.WriteLine($"policy_hash: {sandbox.PolicyHash}");
        if (sandbox.Owner.Length > 0) writer.WriteLine($"owner:       {sandbox.Owner}");
        writer.WriteLine($"egress:      {(sandbox.DangerouslyAllowAll ? "UNRESTRICTED (--dangerously-allow-all)" : "policy allow-list, deny by default")}");
        writer.WriteLine($"created:     {Time(sandbox.CreatedAt)}");
        writer.WriteLine($"updated:     {Time(sandbox.UpdatedAt)}");
        foreach (var route in sandbox.HttpsRoutes)
        {
            writer.WriteLine($"route:       {Ports.SandboxExposures.Describe(route)} -> sandbox port {route.GuestPort}");
        }

        foreach (var exposure in sandbox.Exposures)
        {
            writer.WriteLine($"exposed:     {Ports.SandboxExposures.Describe(exposure)} -> sandbox port {exposure.GuestPort}");
        }

        if (sandbox.Error is { } error)
        {
            writer.WriteLine($"error:       {error.Code}: {error.Message}");
        }
    }

    public static void Execution(TextWriter writer, Execution execution)
    {
        writer.WriteLine($"execution:   {execution.ExecutionId}");
        writer.WriteLine($"sandbox:     {execution.SandboxId}");
        writer.WriteLine($"status:      {Status(execution.Status)}");
        writer.WriteLine($"command:     {string.Join(' ', execution.Command)}");
        writer.WriteLine($"exit_code:   {execution.ExitCode}");
        writer.WriteLine($"started:     {Time(execution.StartedAt)}");
        writer.WriteLine($"finished:    {Time(execution.FinishedAt)}");
        if (Timings(execution.Timings) is { } timings)
        {
            writer.WriteLine($"timings:     {timings}");
        }
        if (execution.Error is { } error)
        {
            writer.WriteLine($"error:       {(error.Code.Length > 0 ? error.Code + ": " : "")}{error.Message}");
        }
    }

    /// <summary>"image 0.01s, network 0.12s, sandbox 0.80s, command 0.30s, total 1.10s", leaving out what is absent.</summary>
    public static string? Timings(ExecutionTimings? timings)
    {
        if (timings is null) return null;
        var parts = new[]
        {
            ("image", timings.ImageReady), ("network", timings.NetworkReady), ("sandbox", timings.SandboxReady),
            ("command", timings.Command), ("total", timings.Total),
        }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1} {p.Item2!.ToTimeSpan().TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}s");
        var text = string.Join(", ", parts);
        return text.Length == 0 ? null : text;
    }
}
