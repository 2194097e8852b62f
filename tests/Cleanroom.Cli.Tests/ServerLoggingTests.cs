using System.Text.Json;
using Cleanroom.Cli.Service;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Cli.Tests;

/// <summary>
/// serve's <c>--log-format json</c> writes one JSON object per entry with its structured values, and
/// <c>--log-level</c> drops what is below it; bad values are usage errors. The console logger writes to the process's
/// stdout, so these run alone (the process-environment collection).
/// </summary>
[Collection(ProcessEnvironment.Name)]
public sealed class ServerLoggingTests
{
    private static string Capture(ServerLogging logging, Action<ILogger> write)
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            // Disposing the factory drains the console logger's queue.
            using (var factory = logging.CreateFactory()) write(factory.CreateLogger("Cleanroom.Server.Test"));
            return captured.ToString();
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [Fact]
    public void Json_entries_carry_level_category_message_and_structured_values()
    {
        var output = Capture(new ServerLogging("info", "json"), logger =>
        {
            logger.LogDebug("dropped below info");
            logger.LogInformation("sandbox {SandboxId} is {Status}", "sb-123", "READY");
        });

        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.Equal("Information", entry.GetProperty("LogLevel").GetString());
        Assert.Equal("Cleanroom.Server.Test", entry.GetProperty("Category").GetString());
        Assert.Equal("sandbox sb-123 is READY", entry.GetProperty("Message").GetString());
        Assert.Equal("sb-123", entry.GetProperty("State").GetProperty("SandboxId").GetString());
        Assert.EndsWith("Z", entry.GetProperty("Timestamp").GetString());
    }

    [Fact]
    public void Debug_level_keeps_debug_entries_and_text_stays_one_line_each()
    {
        var output = Capture(new ServerLogging("debug", "text"), logger =>
        {
            logger.LogTrace("dropped below debug");
            logger.LogDebug("exec nft -f -");
        });

        Assert.Contains("exec nft -f -", output);
        Assert.DoesNotContain("dropped below debug", output);
    }

    [Theory]
    [InlineData("--log-level", "loud")]
    [InlineData("--log-format", "xml")]
    public async Task Unknown_values_are_usage_errors(string flag, string value)
    {
        using var root = new TempDirectory();

        var run = await CliRun.InvokeAsync(root.Path, new Dictionary<string, string> { ["HOME"] = root.Path }, "serve", flag, value);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(value, run.Error);
    }
}
