namespace Cleanroom.Agent.Client;

/// <summary>
/// How an execution ended. <see cref="ExitCode"/> follows the shell: 128+N for death by signal N,
/// 127 when the command was not found, 126 when it could not be started (then <see cref="Failure"/> says why).
/// </summary>
public sealed record AgentExitStatus(int ExitCode, int? Signal, AgentExecutionFailure? Failure)
{
    public bool Started => Failure is null;
}

/// <summary>Why the agent could not start a command: a stable code (Cleanroom.Agent.Protocol.AgentErrorCodes) and a message for people.</summary>
public sealed record AgentExecutionFailure(string Code, string Message);

public enum OutputStream { Stdout, Stderr }

/// <summary>A piece of a command's output, in the order the agent read it.</summary>
public readonly record struct OutputChunk(OutputStream Stream, ReadOnlyMemory<byte> Data);
