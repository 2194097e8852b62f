using System.Text;
using Cleanroom.Backends;
using Cleanroom.ControlPlane.Tests.Doubles;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.ControlPlane.Tests;

/// <summary>
/// A control plane over a temporary state directory with a scripted backend and a fake clock, plus the
/// requests most tests need. Disposing it shuts the control plane down and deletes the directory.
/// </summary>
internal sealed class ControlPlaneHarness : IAsyncDisposable
{
    public const string Image = "ghcr.io/cleanroom/base@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private readonly TestStateDirectory _state = new();

    private ControlPlaneHarness(long maxRetainedBytes, TimeSpan grace, int warmPoolSize, TimeSpan refillDelay, params ISandboxBackend[] backends)
    {
        Options = new ControlPlaneOptions
        {
            StateDirectory = _state.Path,
            MaxRetainedBytesPerStream = maxRetainedBytes,
            StopGracePeriod = grace,
            WarmPoolSize = warmPoolSize,
            WarmPoolRefillDelay = refillDelay,
        };
        foreach (var backend in backends)
            Registry.Register(backend);
    }

    public ControlPlaneOptions Options { get; private set; }
    public BackendRegistry Registry { get; } = new();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
    public SandboxControl Control { get; private set; } = null!;
    public string StateDirectory => _state.Path;

    // Spares start as soon as a sandbox is READY unless a test is about the refill's timing (warmPoolRefillDelay).
    public static Task<ControlPlaneHarness> StartAsync(ISandboxBackend backend, long maxRetainedBytes = 16 * 1024 * 1024, TimeSpan? grace = null, int warmPoolSize = 0, TimeSpan? warmPoolRefillDelay = null) =>
        StartAsync([backend], maxRetainedBytes, grace, warmPoolSize, warmPoolRefillDelay);

    public static async Task<ControlPlaneHarness> StartAsync(ISandboxBackend[] backends, long maxRetainedBytes = 16 * 1024 * 1024, TimeSpan? grace = null, int warmPoolSize = 0, TimeSpan? warmPoolRefillDelay = null)
    {
        var harness = new ControlPlaneHarness(maxRetainedBytes, grace ?? TimeSpan.FromSeconds(10), warmPoolSize, warmPoolRefillDelay ?? TimeSpan.Zero, backends);
        harness.Control = await SandboxControl.OpenAsync(harness.Options, harness.Registry, harness.Time);
        return harness;
    }

    /// <summary>A harness whose control plane suspends sandboxes idle for <paramref name="idleSuspendAfter"/>.</summary>
    public static async Task<ControlPlaneHarness> StartWithIdleSuspendAsync(ISandboxBackend backend, TimeSpan idleSuspendAfter)
    {
        var harness = new ControlPlaneHarness(16 * 1024 * 1024, TimeSpan.FromSeconds(10), 0, TimeSpan.Zero, backend);
        harness.Options = harness.Options with { IdleSuspendAfter = idleSuspendAfter };
        harness.Control = await SandboxControl.OpenAsync(harness.Options, harness.Registry, harness.Time);
        return harness;
    }

    /// <summary>Shuts the control plane down and opens a new one on the same state directory, as a server restart does.</summary>
    public async Task RestartAsync(BackendRegistry? registry = null)
    {
        await Control.DisposeAsync();
        Control = await SandboxControl.OpenAsync(Options, registry ?? Registry, Time);
    }

    /// <summary>The canonical JSON of a real compiled policy: the control plane reads stages and run.before from it.</summary>
    public static string PolicyJson(string sandboxYaml = "") =>
        Cleanroom.Policy.PolicyCompiler.Compile($"version: 1\nsandbox:\n  image:\n    ref: {Image}\n{sandboxYaml}", "test.yaml").Policy!.CanonicalJson;

    public static CreateSandboxRequest SandboxRequest(
        string? backend = "scripted", bool egressAllowRules = false, bool docker = false, bool allowAll = false, bool wait = true,
        string policyHash = "sha256:policyhash", string sandboxYaml = "") => new()
    {
        Backend = backend,
        ImageRef = Image,
        Policy = new SandboxPolicy(PolicyJson(sandboxYaml), policyHash, egressAllowRules, docker),
        DangerouslyAllowAll = allowAll,
        WaitUntilReady = wait,
        Labels = new Dictionary<string, string> { ["repo"] = "example" },
    };

    public static CreateExecutionRequest ExecutionRequest(string sandboxId, params string[] argv) =>
        new(sandboxId, new ExecutionSpec { Argv = argv.Length == 0 ? ["true"] : argv });

    public static async Task<List<ExecutionStreamItem>> CollectAsync(IAsyncEnumerable<ExecutionStreamItem> stream)
    {
        var items = new List<ExecutionStreamItem>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var item in stream.WithCancellation(timeout.Token))
            items.Add(item);
        return items;
    }

    public static string Text(IEnumerable<ExecutionStreamItem> items, OutputStream stream) =>
        string.Concat(items.OfType<ExecutionOutput>().Where(o => o.Stream == stream).Select(o => Encoding.UTF8.GetString(o.Data.Span)));

    public async ValueTask DisposeAsync()
    {
        if (Control is not null)
            await Control.DisposeAsync();
        _state.Dispose();
    }
}
