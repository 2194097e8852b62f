using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Google.Protobuf;
using V1 = Cleanroom.Api.V1;

namespace Cleanroom.Client;

/// <summary>
/// A sandbox on the server, as last read: run commands in it, move files in and out, follow its events, end it.
/// The properties are a snapshot; <see cref="RefreshAsync"/> reads them again.
/// </summary>
public sealed partial class Sandbox
{
    private readonly CleanroomClient _client;

    internal Sandbox(CleanroomClient client, V1.Sandbox info)
    {
        _client = client;
        Info = info;
    }

    /// <summary>The sandbox as the server described it (the wire message).</summary>
    public V1.Sandbox Info { get; }

    /// <summary>The sandbox's id.</summary>
    public string Id => Info.SandboxId;

    /// <summary>PROVISIONING, READY, STOPPING, STOPPED or FAILED, when read.</summary>
    public SandboxStatus Status => Info.Status;

    /// <summary>The backend that runs it.</summary>
    public string Backend => Info.Backend;

    /// <summary>The hash of its policy, as the server computed it.</summary>
    public string PolicyHash => Info.PolicyHash;

    /// <summary>Its digest-pinned image.</summary>
    public string ImageRef => Info.ImageRef;

    /// <summary>Its labels (including <c>cleanroom.dev/ensure-key</c> for an ensured sandbox).</summary>
    public IReadOnlyDictionary<string, string> Labels => Info.Labels;

    /// <summary>Reads the sandbox again.</summary>
    public Task<Sandbox> RefreshAsync(CancellationToken cancellationToken = default) => _client.GetSandboxAsync(Id, cancellationToken);

    /// <summary>
    /// Starts <paramref name="command"/> (argv; no shell unless you run one) and returns once it is running, with live
    /// output, stdin and cancel (see <see cref="Execution"/>).
    /// </summary>
    public Task<Execution> ExecAsync(IReadOnlyList<string> command, ExecOptions? options = null, CancellationToken cancellationToken = default) =>
        Execution.StartAsync(_client, ExecutionRequest(command, options ?? new ExecOptions()), cancellationToken);

    /// <summary>
    /// Runs <paramref name="command"/> to its end, writing its stdout and stderr to the given streams (null drops one).
    /// Cancelling <paramref name="cancellationToken"/> cancels the command on the server too, then throws.
    /// </summary>
    public async Task<ExecResult> ExecAndWaitAsync(IReadOnlyList<string> command, Stream? stdout, Stream? stderr,
        ExecOptions? options = null, CancellationToken cancellationToken = default)
    {
        await using var execution = await ExecAsync(command, options, CancellationToken.None).ConfigureAwait(false);
        try
        {
            return await execution.CopyOutputAsync(stdout, stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up on the command, not just on watching it: it must not go on in the sandbox.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await execution.CancelAsync(deadline.Token).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="command"/> to its end and returns its output as text (UTF-8) with the result.</summary>
    public async Task<(ExecResult Result, string Stdout, string Stderr)> ExecAndWaitAsync(IReadOnlyList<string> command,
        ExecOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var result = await ExecAndWaitAsync(command, stdout, stderr, options, cancellationToken).ConfigureAwait(false);
        return (result, System.Text.Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length),
            System.Text.Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length));
    }

    /// <summary>Terminates the sandbox and waits until everything it made on the host is removed.</summary>
    public async Task TerminateAsync(CancellationToken cancellationToken = default) =>
        await _client.Sandboxes.TerminateSandboxAsync(new TerminateSandboxRequest { SandboxId = Id }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

    private CreateExecutionRequest ExecutionRequest(IReadOnlyList<string> command, ExecOptions options)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || string.IsNullOrEmpty(command[0]))
            throw new CleanroomException(ErrorCode.InvalidArgument, "command must name a program to run");
        var execOptions = new ExecutionOptions
        {
            Stdin = options.Stdin,
            Workdir = options.WorkingDirectory ?? "",
            User = options.User ?? "",
            TimeoutSeconds = options.Timeout is { } timeout ? (long)Math.Ceiling(timeout.TotalSeconds) : 0,
        };
        foreach (var (name, value) in options.Environment)
            execOptions.Env[name] = value;
        var request = new CreateExecutionRequest { SandboxId = Id, Options = execOptions, Kind = ExecutionKind.Batch };
        request.Command.AddRange(command);
        return request;
    }
}
