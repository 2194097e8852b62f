using Cleanroom.HostProcesses;
using Cleanroom.Errors;
using Cleanroom.Workspace;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cleanroom.Workspace.Tests;

/// <summary>A real git repository in a temporary directory, removed after the test.</summary>
internal sealed class TestRepository : IDisposable
{
    public static readonly HostProgram Git = new(NullLogger.Instance, ErrorCode.InvalidArgument, TimeSpan.FromMinutes(1));

    public TestRepository()
    {
        Root = Directory.CreateTempSubdirectory("cleanroom-ws-test-").FullName;
        Run("init", "-q", "-b", "main");
        Run("config", "user.email", "test@example.invalid");
        Run("config", "user.name", "test");
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public TestRepository Write(string relative, string content, UnixFileMode? mode = null)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        if (mode is { } m)
            File.SetUnixFileMode(full, m);
        return this;
    }

    public string Commit(string message)
    {
        Run("add", "-A");
        Run("commit", "-q", "-m", message);
        return Run("rev-parse", "HEAD").Trim();
    }

    public string Run(params string[] args) =>
        Git.RunCheckedAsync(["git", "-C", Root, .. args], null, CancellationToken.None).GetAwaiter().GetResult().StdoutText;

    public Task<GitCheckout> OpenAsync() => GitCheckout.FindAsync(Git, Root, CancellationToken.None)!;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
