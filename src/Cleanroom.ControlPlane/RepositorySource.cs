using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// A repository the server puts into a new sandbox itself during its repository stage (a server-side checkout),
/// before any setup block runs. <see cref="WriteAsync"/> writes the tree at the policy's repository path; a
/// <see cref="Cleanroom.Errors.CleanroomException"/> fails the sandbox with its code.
/// </summary>
/// <param name="Description">What is checked out, for the stage's events ("URL at COMMIT").</param>
public sealed record RepositorySource(string Description, Func<ISandboxFileTree, string, CancellationToken, Task> WriteAsync);
