using Cleanroom.Backends;

namespace Cleanroom.ControlPlane;

/// <summary>
/// A repository the server puts into a new sandbox itself during its repository stage (a server-side checkout),
/// before any setup block runs. <see cref="WriteAsync"/> (sandbox id, its tree, the repository path) writes the tree
/// there and records the workspace; a
/// <see cref="Cleanroom.Errors.CleanroomException"/> fails the sandbox with its code.
/// </summary>
/// <param name="Description">What is checked out, for the stage's events ("URL at COMMIT").</param>
public sealed record RepositorySource(string Description, Func<string, ISandboxFileTree, string, CancellationToken, Task> WriteAsync);
