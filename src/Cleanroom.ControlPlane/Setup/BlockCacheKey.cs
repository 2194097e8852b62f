using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Cleanroom.Policy;
using Cleanroom.Workspace;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Cleanroom.ControlPlane.Setup;

/// <summary>
/// The cache key of a dependency or service block: sha256 over the image digest, the stage and its allow rules, the
/// block's definition (name, command, env, declared inputs and outputs) and the contents of the repository files its
/// input globs match, taken from the workspace's baseline (each file's git blob id, kind and executable bit, as it was
/// put into the sandbox: no guest program is asked). Every field is written with its length, so no two different
/// definitions hash the same text.
/// </summary>
internal static class BlockCacheKey
{
    /// <summary>The key, or null for a block that declares no outputs (there is nothing to cache).</summary>
    public static string? Of(string imageDigest, string stage, ImmutableArray<EgressRule> stageRules, WorkloadBlock block,
        IReadOnlyDictionary<string, WorkspaceEntry> repository)
    {
        if (block.OutputDirs.IsEmpty && block.OutputFiles.IsEmpty)
            return null;
        var text = new StringBuilder();
        void Field(string label, string value) => text.Append(label).Append(' ').Append(value.Length).Append(':').Append(value).Append('\n');

        Field("format", "cleanroom-block-cache/1");
        Field("image", imageDigest);
        Field("stage", stage);
        foreach (var rule in stageRules)
            Field("allow", $"{rule.Host}:{string.Join(',', rule.Ports)}");
        Field("name", block.Name);
        Field("command", block.Command);
        foreach (var (name, value) in block.Env)
            Field("env", $"{name}={value}");
        foreach (var dir in block.OutputDirs)
            Field("output-dir", dir);
        foreach (var file in block.OutputFiles)
            Field("output-file", file);
        foreach (var input in block.InputFiles)
            Field("input", input);
        foreach (var path in MatchingFiles(block.InputFiles, repository.Keys))
        {
            var entry = repository[path];
            Field("file", $"{path}\0{entry.Kind}\0{(entry.Executable ? "x" : "-")}\0{entry.BlobId}");
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The repository-relative paths the globs match (<c>*</c>, <c>?</c>, <c>**</c>), sorted.</summary>
    public static IReadOnlyList<string> MatchingFiles(ImmutableArray<string> globs, IEnumerable<string> paths)
    {
        if (globs.IsEmpty)
            return [];
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(globs);
        const string root = "/repository";
        return matcher.Match(root, paths.Select(p => $"{root}/{p}")).Files
            .Select(f => f.Path).Order(StringComparer.Ordinal).ToList();
    }
}
