using Cleanroom.Agent.Client;

namespace Cleanroom.Agent.Tests.Support;

/// <summary>
/// One fresh managed agent per test (xunit makes a class instance per test), a deadline, and a
/// temporary directory, all cleaned up even when the test fails.
/// </summary>
public abstract class AgentTestBase : IAsyncLifetime
{
    private readonly CancellationTokenSource _deadline = TestDeadline.Start(120);
    private AgentProcess? _agent;

    internal AgentProcess AgentProcess => _agent ?? throw new InvalidOperationException("the agent is not started");

    protected AgentConnection Agent => AgentProcess.Connection;

    protected CancellationToken Deadline => _deadline.Token;

    protected string TempDirectory { get; } = Directory.CreateTempSubdirectory("cleanroom-agent-test-").FullName;

    protected virtual AgentConnectionOptions? Options => null;

    public async Task InitializeAsync() => _agent = await AgentProcess.StartManagedAsync(Options);

    public async Task DisposeAsync()
    {
        if (_agent is not null)
            await _agent.DisposeAsync();
        _deadline.Dispose();
        Directory.Delete(TempDirectory, recursive: true);
    }

    protected Task<CollectedOutput> RunAsync(params string[] argv) => RunAsync(new ExecutionRequest(argv));

    protected Task<CollectedOutput> RunAsync(ExecutionRequest request) => CollectedOutput.RunAsync(Agent, request, Deadline);

    protected static ExecutionRequest Shell(string script) => new(["sh", "-c", script]);
}
