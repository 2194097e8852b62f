using Cleanroom.RuntimeConfig;
using Cleanroom.Server.Audit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.Server.Tests;

/// <summary>The audit log's size rotation, its count and age limits on rotated files, and which calls are audited.</summary>
public sealed class AuditRotationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cleanroom-audit-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static AuditEntry Entry(int n) =>
        new(DateTimeOffset.UnixEpoch, "alice", "token", "unix", "SandboxService/CreateSandbox", $"sb-{n:D4}", null, "sha256:x", false, "ok");

    [Fact]
    public void The_log_rotates_at_max_bytes_and_keeps_max_files_rotated_files()
    {
        var path = Path.Combine(_directory, "api.jsonl");
        var log = new AuditLog(path, new AuditSettings(path, 64 * 1024, 2, 0), NullLogger.Instance);

        for (var n = 0; n < 2000; n++) log.Append(Entry(n));

        Assert.True(new FileInfo(path).Length <= 64 * 1024);
        Assert.True(File.Exists(path + ".1"));
        Assert.True(File.Exists(path + ".2"));
        Assert.False(File.Exists(path + ".3"));
        Assert.Contains("sb-1999", File.ReadAllText(path));
        // Every line stays whole across rotations.
        Assert.All(File.ReadAllLines(path + ".1"), line => Assert.EndsWith("\"outcome\":\"ok\"}", line));
    }

    [Fact]
    public void Rotated_files_older_than_the_retention_are_deleted()
    {
        var path = Path.Combine(_directory, "api.jsonl");
        File.WriteAllText(path + ".1", "old\n");
        File.SetLastWriteTimeUtc(path + ".1", DateTime.UtcNow.AddDays(-40));
        File.WriteAllText(path + ".2", "older\n");
        File.SetLastWriteTimeUtc(path + ".2", DateTime.UtcNow.AddDays(-400));

        _ = new AuditLog(path, new AuditSettings(path, 1024 * 1024, 5, 90), NullLogger.Instance, new FakeTimeProvider(DateTimeOffset.UtcNow));

        Assert.True(File.Exists(path + ".1"));
        Assert.False(File.Exists(path + ".2"));
    }

    [Theory]
    [InlineData("/cleanroom.v1.SandboxService/CreateSandbox", "SandboxService/CreateSandbox")]
    [InlineData("/cleanroom.v1.SandboxService/DownloadSandboxFile", "SandboxService/DownloadSandboxFile")]
    [InlineData("/cleanroom.v1.SystemService/Prune", "SystemService/Prune")]
    [InlineData("/cleanroom.v1.SandboxService/GetSandbox", null)]
    [InlineData("/cleanroom.v1.SandboxService/ListSandboxes", null)]
    [InlineData("/cleanroom.v1.ExecutionService/StreamExecution", null)]
    [InlineData("/cleanroom.v1.IdentityService/WhoAmI", null)]
    public void Reads_are_not_audited(string method, string? verb) => Assert.Equal(verb, AuditSubjects.Verb(method));
}
