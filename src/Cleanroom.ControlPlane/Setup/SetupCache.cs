using Cleanroom.Workspace;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// What a sandbox's setup needs to cache its blocks' outputs: the host store, the repository's index scope, the
/// repository's files as they were put into the sandbox (the input globs match these), the image digest, and whether
/// hits are ignored (<c>--no-cache</c>: blocks run, and what they make is still published).
/// </summary>
internal sealed record SetupCache(BlockCache Store, string Scope, IReadOnlyDictionary<string, WorkspaceEntry> Repository, string ImageDigest, bool IgnoreHits);
