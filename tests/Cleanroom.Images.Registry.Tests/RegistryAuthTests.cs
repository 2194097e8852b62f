using System.Text;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Tests.Support;

namespace Cleanroom.Images.Registry.Tests;

/// <summary>Basic auth (htpasswd) and the bearer-token challenge flow against a real registry.</summary>
public sealed class RegistryAuthTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private async Task<LocalRegistry> StartWithImageAsync(RegistryAuthMode mode)
    {
        var registry = await LocalRegistry.StartAsync(mode);
        var layout = new OciLayout(scratch.NewDirectory("layout"));
        layout.Tag("1", layout.AddImage([new LayerBuilder().File("hello", "private").Build()]));
        await registry.PushAsync(layout, "1", "private/app");
        return registry;
    }

    private static RegistryOptions WithCredential(LocalRegistry registry, string password) =>
        Pulling.Options(registry.Host) with
        {
            Credentials = new Dictionary<string, RegistryCredential> { [registry.Host] = new(LocalRegistry.Username, password) },
        };

    [RegistryFact]
    public async Task Basic_auth_uses_the_configured_credentials()
    {
        await using var registry = await StartWithImageAsync(RegistryAuthMode.Basic);
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, WithCredential(registry, LocalRegistry.Password));

        var image = await puller.PullAsync($"{registry.Host}/private/app:1");

        Assert.Equal("private", File.ReadAllText(Path.Combine(await store.MaterialiseAsync(image.Reference!.ToString()), "hello")));
    }

    [RegistryFact]
    public async Task Basic_auth_reads_credentials_from_a_docker_config()
    {
        await using var registry = await StartWithImageAsync(RegistryAuthMode.Basic);
        var config = Path.Combine(scratch.Root, "docker-config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalRegistry.Username}:{LocalRegistry.Password}"));
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["auths"] = new System.Text.Json.Nodes.JsonObject { [$"http://{registry.Host}"] = new System.Text.Json.Nodes.JsonObject { ["auth"] = auth } },
        };
        await File.WriteAllTextAsync(config, json.ToJsonString());
        using var puller = Pulling.Puller(scratch.OpenStore(), Pulling.Options(registry.Host) with { DockerConfigPath = config });

        var image = await puller.PullAsync($"{registry.Host}/private/app:1");

        Assert.NotNull(image.Reference!.Digest);
    }

    [RegistryFact]
    public async Task Basic_auth_without_or_with_wrong_credentials_fails_as_auth_refused()
    {
        await using var registry = await StartWithImageAsync(RegistryAuthMode.Basic);
        using var anonymous = Pulling.Puller(scratch.OpenStore(), Pulling.Options(registry.Host));
        using var wrong = Pulling.Puller(scratch.OpenStore(), WithCredential(registry, "not-the-password"));

        var none = await Assert.ThrowsAsync<CleanroomException>(() => anonymous.PullAsync($"{registry.Host}/private/app:1"));
        var bad = await Assert.ThrowsAsync<CleanroomException>(() => wrong.PullAsync($"{registry.Host}/private/app:1"));

        Assert.Equal(ErrorCode.RegistryAuthFailed, none.Code);
        Assert.Contains("needs credentials", none.Message);
        Assert.Equal(ErrorCode.RegistryAuthFailed, bad.Code);
        Assert.DoesNotContain("not-the-password", bad.Message);
    }

    [RegistryFact]
    public async Task The_bearer_challenge_is_answered_with_a_token_from_the_realm_for_the_pull_scope()
    {
        await using var registry = await StartWithImageAsync(RegistryAuthMode.Token);
        var store = scratch.OpenStore();
        using var puller = Pulling.Puller(store, WithCredential(registry, LocalRegistry.Password));

        var image = await puller.PullAsync($"{registry.Host}/private/app:1");

        Assert.Equal("private", File.ReadAllText(Path.Combine(await store.MaterialiseAsync(image.Reference!.ToString()), "hello")));
        Assert.Contains(("repository:private/app:pull", true), registry.Tokens!.Requests);
    }

    [RegistryFact]
    public async Task A_token_service_refusing_the_credentials_fails_as_auth_refused()
    {
        await using var registry = await StartWithImageAsync(RegistryAuthMode.Token);
        using var puller = Pulling.Puller(scratch.OpenStore(), WithCredential(registry, "wrong"));

        var error = await Assert.ThrowsAsync<CleanroomException>(() => puller.PullAsync($"{registry.Host}/private/app:1"));

        Assert.Equal(ErrorCode.RegistryAuthFailed, error.Code);
        Assert.Contains("token service", error.Message);
        Assert.Contains(("repository:private/app:pull", false), registry.Tokens!.Requests);
    }
}
