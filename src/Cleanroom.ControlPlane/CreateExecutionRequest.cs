using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>What CreateExecution needs: the READY sandbox to run in and what to run.</summary>
public sealed record CreateExecutionRequest(string SandboxId, ExecutionSpec Spec);
