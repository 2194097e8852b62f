using Cleanroom.Errors;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.HostProcesses.Tests;

public class HostProgramTests
{
    private static readonly HostProgram Program = new(NullLogger.Instance, "test_failure", TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Exit_code_stdout_stderr_and_stdin_are_kept_apart()
    {
        var result = await Program.RunAsync(["sh", "-c", "cat; echo err >&2; exit 3"], null, CancellationToken.None, "in\n"u8.ToArray());

        Assert.Equal(3, result.ExitCode);
        Assert.Equal("in\n", result.StdoutText);
        Assert.Equal("err\n", result.Stderr);
    }

    [Fact]
    public async Task The_working_directory_is_applied_and_stdout_can_be_streamed()
    {
        var sink = new MemoryStream();

        var result = await Program.StreamAsync(["pwd"], "/", sink, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal("/\n", System.Text.Encoding.UTF8.GetString(sink.ToArray()));
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_program_past_its_deadline_is_killed_and_reported()
    {
        var result = await Program.TryRunAsync(["sleep", "600"], null, null, null, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        var error = await Assert.ThrowsAsync<CleanroomException>(() =>
            Program.RunAsync(["sleep", "600"], null, null, null, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Null(result);
        Assert.Equal("test_failure", error.Code);
        Assert.Contains("did not finish", error.Message);
    }

    [Fact]
    public async Task A_missing_program_and_a_failing_checked_run_carry_the_callers_code()
    {
        var missing = await Assert.ThrowsAsync<CleanroomException>(() => Program.RunAsync(["/nonexistent/program"], null, CancellationToken.None));
        var failing = await Assert.ThrowsAsync<CleanroomException>(() => Program.RunCheckedAsync(["sh", "-c", "echo why >&2; exit 1"], null, CancellationToken.None));

        Assert.Equal("test_failure", missing.Code);
        Assert.Equal("test_failure", failing.Code);
        Assert.Contains("why", failing.Message);
    }

    [Fact]
    public void Argv_is_described_as_a_line_a_shell_would_take_back()
    {
        Assert.Equal("nft -f - 'a b' '' 'it'\\''s'", HostProgram.Describe(["nft", "-f", "-", "a b", "", "it's"]));
    }
}
