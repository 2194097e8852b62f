using System.IO.Compression;
using System.Text.Json;
using Cleanroom.EndToEnd.Tests;

namespace Cleanroom.Client.Tests;

/// <summary>
/// <c>dotnet pack</c> makes the packages, and a console app outside the repository that references Cleanroom.Client by
/// version (a local feed plus the machine's NuGet source, no project reference) runs a command against a real server.
/// </summary>
[Collection(RealServerCollection.Name)]
public class PackageEndToEndTests(ServerFixture fixture) : IAsyncLifetime
{
    private static readonly string[] Packed = ["Cleanroom.Errors", "Cleanroom.Policy", "Cleanroom.Client"];

    // A version of its own: the machine-wide package cache never answers with an earlier run's build of the package.
    private readonly string _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(1000)}";
    private DirectoryInfo _work = null!;

    public Task InitializeAsync()
    {
        _work = Directory.CreateTempSubdirectory("cleanroom-client-package-");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _work.Delete(recursive: true);
        // What restore put in the machine's package cache for this run's version.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Packed)
        {
            var package = Path.Combine(cache, id.ToLowerInvariant());
            if (Directory.Exists(Path.Combine(package, _version)))
                Directory.Delete(Path.Combine(package, _version), recursive: true);
            if (Directory.Exists(package) && !Directory.EnumerateFileSystemEntries(package).Any())
                Directory.Delete(package);
        }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_console_app_restored_from_the_packed_package_runs_a_command_in_a_sandbox()
    {
        var feed = Directory.CreateDirectory(Path.Combine(_work.FullName, "feed")).FullName;
        var artifacts = Path.Combine(_work.FullName, "artifacts");
        foreach (var id in Packed)
        {
            var pack = await Dotnet(Product.RepositoryRoot, "pack", Path.Combine("src", id, id + ".csproj"), "-c", "Release", "-o", feed,
                "--artifacts-path", artifacts, $"-p:Version={_version}");
            Assert.True(pack.ExitCode == 0, pack.ToString());
        }

        var clientPackage = Path.Combine(feed, $"Cleanroom.Client.{_version}.nupkg");
        AssertPackageHolds(clientPackage);

        var app = Directory.CreateDirectory(Path.Combine(_work.FullName, "app")).FullName;
        foreach (var file in new[] { "Program.cs", "SampleApp.csproj" })
            File.Copy(Path.Combine(AppContext.BaseDirectory, "SampleApp", file), Path.Combine(app, file));
        // The local feed beside the machine's own sources (which reach the package mirror for Grpc, Protobuf, YamlDotNet).
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="cleanroom-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        var build = await Dotnet(app, "build", "-c", "Release", $"-p:CleanroomClientVersion={_version}");
        Assert.True(build.ExitCode == 0, build.ToString());
        AssertRestoredAsPackage(app);

        var run = await Shell.RunAsync(["dotnet", Path.Combine(app, "bin", "Release", "net10.0", "SampleApp.dll"), Product.DefaultImage],
            new Dictionary<string, string> { ["CLEANROOM_HOST"] = fixture.Address.ToString() }, TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("hello from ", run.Stdout);
    }

    private static void AssertPackageHolds(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("README.md", names);
        Assert.Contains("lib/net10.0/Cleanroom.Client.dll", names);
        Assert.Contains("lib/net10.0/Cleanroom.Client.xml", names);
        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var text = nuspec.ReadToEnd();
        Assert.Contains("id=\"Cleanroom.Policy\"", text);
        Assert.Contains("id=\"Cleanroom.Errors\"", text);
        Assert.Contains("id=\"Grpc.Net.Client\"", text);
        Assert.DoesNotContain("Cleanroom.Server", text);
        Assert.DoesNotContain("Cleanroom.Api\"", text);
    }

    /// <summary>Restore resolved Cleanroom.Client as a package from the feed, not as a project.</summary>
    private void AssertRestoredAsPackage(string app)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        var library = assets.RootElement.GetProperty("libraries").GetProperty($"Cleanroom.Client/{_version}");
        Assert.Equal("package", library.GetProperty("type").GetString());
    }

    private static Task<ProgramResult> Dotnet(string workingDirectory, params string[] args) =>
        Shell.RunAsync(["sh", "-c", "cd \"$0\" && exec dotnet \"$@\"", workingDirectory, .. args],
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" }, TimeSpan.FromMinutes(10));
}
