using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Cleanroom.Backends;
using Cleanroom.Errors;
using Cleanroom.Policy;
using Cleanroom.Telemetry;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// The stages a sandbox goes through at create, after its backend started it and before it is READY: each
/// <c>sandbox.dependencies</c> block in policy order under the dependencies stage's egress rules, then each
/// <c>sandbox.services</c> block under the services stage's, then the execution stage. Every block runs as
/// <c>/bin/sh -c COMMAND</c> in the repository path with its own env. Each stage and block start and end become
/// <c>sandbox.stage</c> events (with the duration); the first block that fails ends the setup with
/// <c>dependency_failed</c> / <c>service_failed</c> and the tail of its output. A block that declares outputs is
/// cached when <see cref="SetupCache"/> is given: on a hit its outputs are restored and its command does not run; on a
/// miss it runs and its outputs are published, unless it wrote elsewhere too (then a warning event says so). A policy
/// that requires Docker has its image checked first and dockerd started between the two stages (<see cref="DockerDaemon"/>).
/// </summary>
internal sealed class SandboxSetup(string sandboxId, IProvisionedSandbox sandbox, CompiledPolicy policy, Action<string, JsonObject> record, SetupCache? cache = null)
{
    /// <summary>The name dockerd's start goes by in <c>sandbox.stage</c> events (policy block names are the user's).</summary>
    public const string DockerBlock = "dockerd";

    public static bool IsNeeded(CompiledPolicy policy) => !policy.Dependencies.IsEmpty || !policy.Services.IsEmpty || policy.DockerRequired;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // An image without Docker fails before any block has spent time on it.
        if (policy.DockerRequired)
            await DockerDaemon.EnsureInImageAsync(sandbox, cancellationToken).ConfigureAwait(false);
        // Blocks run in the repository path; with no workspace there (an API client that sends none) it is made empty.
        await EnsureRepositoryPathAsync(cancellationToken).ConfigureAwait(false);
        await RunStageAsync(SandboxStages.Dependencies, policy.Dependencies, ErrorCode.DependencyFailed, cancellationToken).ConfigureAwait(false);
        // After the dependency blocks, which may configure it (/etc/docker/daemon.json), and before the services stage.
        if (policy.DockerRequired)
            await StartDockerAsync(cancellationToken).ConfigureAwait(false);
        await RunStageAsync(SandboxStages.Services, policy.Services, ErrorCode.ServiceFailed, cancellationToken).ConfigureAwait(false);
        await EnterAsync(SandboxStages.Execution, cancellationToken).ConfigureAwait(false);
    }

    private async Task RunStageAsync(string stage, ImmutableArray<WorkloadBlock> blocks, string failureCode, CancellationToken cancellationToken)
    {
        if (blocks.IsEmpty)
            return;
        using var span = CleanroomTelemetry.StartSpan("sandbox.stage", sandboxId);
        span?.SetTag(TelemetryTags.Stage, stage);
        await EnterAsync(stage, cancellationToken).ConfigureAwait(false);
        var stageClock = Stopwatch.StartNew();
        Record(stage, null, "started");
        foreach (var block in blocks)
        {
            var clock = Stopwatch.StartNew();
            var key = cache is null ? null : BlockCacheKey.Of(cache.ImageDigest, stage, policy.Network[stage], block, cache.Repository);
            BlockOutputs? outputs = null;
            if (key is not null)
            {
                outputs = await BlockOutputs.ResolveAsync(sandbox, block, cancellationToken).ConfigureAwait(false);
                if (await TryRestoreAsync(stage, block, key, outputs, clock, cancellationToken).ConfigureAwait(false))
                    continue;
                await outputs.MarkStartAsync(sandbox, cancellationToken).ConfigureAwait(false);
            }

            Record(stage, block.Name, "started");
            var tail = new CommandOutputTail();
            var spec = SetupCommand.Spec(block.Command, policy.RepositoryPath, block.Env);
            var exit = await SetupCommand.RunAsync(sandbox, spec, chunk =>
            {
                tail.Add(chunk);
                return Task.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
            if (exit.ExitCode != 0)
            {
                var output = tail.ToString();
                Record(stage, block.Name, "failed", clock.Elapsed, exit.ExitCode);
                throw new CleanroomException(failureCode,
                    $"{stage} block '{block.Name}' exited {exit.ExitCode}" + (output.Length == 0 ? "" : $"; its last output:\n{output}"));
            }
            Record(stage, block.Name, "succeeded", clock.Elapsed, 0);
            if (key is not null)
                await PublishAsync(stage, block, key, outputs!, cancellationToken).ConfigureAwait(false);
        }
        Record(stage, null, "succeeded", stageClock.Elapsed);
    }

    /// <summary>On a hit, the outputs go in and the block is done; a restore that fails is a failed block.</summary>
    private async Task<bool> TryRestoreAsync(string stage, WorkloadBlock block, string key, BlockOutputs outputs, Stopwatch clock, CancellationToken cancellationToken)
    {
        if (cache!.IgnoreHits || cache.Store.Find(cache.Scope, key) is not { } archive)
            return false;
        if (sandbox is not ISandboxFileTree tree)
            return false;
        await BlockOutputs.RestoreAsync(tree, archive, cancellationToken).ConfigureAwait(false);
        Record(stage, block.Name, "restored", clock.Elapsed, detail: $"from the cache ({string.Join(", ", outputs.Paths)})");
        return true;
    }

    /// <summary>Publishes the outputs of a block that ran, when they are its whole lasting effect; else says why not.</summary>
    private async Task PublishAsync(string stage, WorkloadBlock block, string key, BlockOutputs outputs, CancellationToken cancellationToken)
    {
        var why = sandbox is ISandboxFileTree ? await outputs.WhyNotCacheableAsync(sandbox, cancellationToken).ConfigureAwait(false)
            : "the backend cannot copy file trees";
        if (why is not null)
        {
            Record(stage, block.Name, "not_cached", detail: $"outputs not cached: {why}");
            return;
        }
        await using var archive = await outputs.CaptureAsync((ISandboxFileTree)sandbox, cancellationToken).ConfigureAwait(false);
        var size = await cache!.Store.PublishAsync(cache.Scope, key, archive, cancellationToken).ConfigureAwait(false);
        Record(stage, block.Name, "cached", detail: $"outputs cached ({size} bytes)");
    }

    private async Task StartDockerAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Record(SandboxStages.Services, DockerBlock, "started", detail: "starting dockerd");
        string report;
        try
        {
            report = await DockerDaemon.StartAsync(sandbox, cancellationToken).ConfigureAwait(false);
        }
        catch (CleanroomException)
        {
            Record(SandboxStages.Services, DockerBlock, "failed", clock.Elapsed, detail: "dockerd did not start");
            throw;
        }
        Record(SandboxStages.Services, DockerBlock, "succeeded", clock.Elapsed, detail: $"dockerd ready ({report})");
    }

    private async Task EnterAsync(string stage, CancellationToken cancellationToken)
    {
        // A sandbox without enforcement has no network at all, in every stage: there is nothing to switch.
        if (sandbox is ISandboxStages stages && stages.Stage != stage)
            await stages.EnterStageAsync(stage, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureRepositoryPathAsync(CancellationToken cancellationToken)
    {
        var spec = new ExecutionSpec { Argv = ["/bin/mkdir", "-p", policy.RepositoryPath] };
        var tail = new CommandOutputTail();
        var exit = await SetupCommand.RunAsync(sandbox, spec, chunk =>
        {
            tail.Add(chunk);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        if (exit.ExitCode != 0)
            throw new CleanroomException(ErrorCode.DependencyFailed, $"the repository path {policy.RepositoryPath} cannot be made: {tail}");
    }

    private void Record(string stage, string? block, string state, TimeSpan? duration = null, int? exitCode = null, string? detail = null)
    {
        var payload = new JsonObject { ["stage"] = stage, ["state"] = state };
        var message = detail is not null ? $"{stage} block '{block}' {(state == "restored" ? "restored " : "")}{detail}"
            : block is null ? $"{stage} stage {state}" : $"{stage} block '{block}' {state}";
        if (block is not null)
            payload["block"] = block;
        if (duration is { } d)
        {
            payload["duration_ms"] = (long)d.TotalMilliseconds;
            message += $" in {(long)d.TotalMilliseconds} ms";
        }
        if (exitCode is { } code)
        {
            payload["exit_code"] = code;
            if (code != 0)
                message += $" (exit {code})";
        }
        payload["message"] = message;
        record(sandboxId, payload);
    }
}
