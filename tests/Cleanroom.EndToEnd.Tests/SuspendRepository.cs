namespace Cleanroom.EndToEnd.Tests;

/// <summary>A directory with a starter policy on the default image, for the suspend tests' <c>create --chdir</c>.</summary>
internal static class SuspendRepository
{
    public static async Task<string> WriteAsync(RealServer server)
    {
        var repository = Directory.CreateDirectory(Path.Combine(server.Root, "repo")).FullName;
        await File.WriteAllTextAsync(Path.Combine(repository, "cleanroom.yaml"), $"version: 1\nsandbox:\n  image:\n    ref: {Product.DefaultImage}\n");
        return repository;
    }
}
