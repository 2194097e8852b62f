namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A private git host the test owns: <c>git http-backend</c> as a CGI program of busybox httpd in an
/// <see cref="UpstreamNamespace"/> (its address, port 8080), serving the bare repository <c>org/repo.git</c> (branch
/// <c>main</c>, one commit with <c>README</c>) at <see cref="RepositoryPath"/>, fetch and push, and only to requests that
/// carry <see cref="Token"/> in HTTP Basic: a clone without it fails.
/// </summary>
public sealed class GitUpstream : IAsyncDisposable
{
    public const string RepositoryPath = "/cgi-bin/git/org/repo.git";

    private GitUpstream(UpstreamNamespace upstream, string token)
    {
        Namespace = upstream;
        Token = token;
    }

    public UpstreamNamespace Namespace { get; }

    /// <summary>The only credential the host accepts (user <c>x-access-token</c>): it lives on the host, never in a sandbox.</summary>
    public string Token { get; }

    /// <summary>The bare repository on disk, for the test to read what a push wrote and to add commits directly.</summary>
    public string BareRepository => Path.Combine(Namespace.ContentDirectory, "repos", "org", "repo.git");

    public static async Task<GitUpstream> StartAsync()
    {
        var token = "tok-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var upstream = await UpstreamNamespace.StartAsync(async content =>
        {
            var bare = Path.Combine(content, "repos", "org", "repo.git");
            await Shell.CheckAsync("git", "init", "-q", "--bare", "-b", "main", bare);
            await Shell.CheckAsync("git", "-C", bare, "config", "http.receivepack", "true");
            var seed = Path.Combine(content, "seed");
            await Shell.CheckAsync("git", "init", "-q", "-b", "main", seed);
            await File.WriteAllTextAsync(Path.Combine(seed, "README"), "hello from the private host\n");
            await Git(seed, "add", "README");
            await Git(seed, "commit", "-qm", "first");
            await Git(seed, "push", "-q", bare, "main");
            Directory.Delete(seed, recursive: true);

            var cgi = Directory.CreateDirectory(Path.Combine(content, "www", "cgi-bin")).FullName;
            await File.WriteAllTextAsync(Path.Combine(cgi, "git"),
                $"#!/bin/sh\nexport GIT_PROJECT_ROOT={Path.Combine(content, "repos")} GIT_HTTP_EXPORT_ALL=1\nexec /usr/lib/git-core/git-http-backend\n");
            File.SetUnixFileMode(Path.Combine(cgi, "git"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            // busybox httpd: every request under /cgi-bin needs this user and password (HTTP Basic); it sets REMOTE_USER.
            await File.WriteAllTextAsync(Path.Combine(content, "httpd.conf"), $"/cgi-bin:x-access-token:{token}\n");
            return ["-h", Path.Combine(content, "www"), "-c", Path.Combine(content, "httpd.conf")];
        });
        return new GitUpstream(upstream, token);
    }

    /// <summary>git as a host user with a fixed identity, no prompts and no system or global config.</summary>
    public static Task<ProgramResult> Git(string directory, params string[] args) =>
        Shell.RunAsync(["git", "-C", directory, "-c", "user.name=Host", "-c", "user.email=host@example.test", .. args],
            new Dictionary<string, string> { ["GIT_TERMINAL_PROMPT"] = "0", ["GIT_CONFIG_NOSYSTEM"] = "1", ["GIT_CONFIG_GLOBAL"] = "/dev/null" });

    public ValueTask DisposeAsync() => Namespace.DisposeAsync();
}
