using System.Collections.Immutable;
using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// Compiles <c>sandbox.network</c> and <c>repository.network</c> into the four explicit stage lists.
/// Either the all-stage <c>sandbox.network.allow</c> is used, and then it applies to every stage, or
/// stage-local blocks are, and then each stage gets exactly its own block (nothing when absent). Mixing
/// the two is a conflict: there is no sensible answer to "which one wins", so the user must choose.
/// </summary>
internal static class NetworkSection
{
    private static readonly string[] SandboxStages = ["dependencies", "services", "execution"];

    public static StageRules Read(StrictMapping? sandbox, StrictMapping? repository, PolicyDiagnostics diagnostics)
    {
        var network = sandbox?["network"] is { } networkNode
            ? StrictMapping.Read(networkNode, sandbox.PathOf("network"), diagnostics, "default", "allow", "dependencies", "services", "execution")
            : null;
        var repositoryNetwork = repository?["network"] is { } repositoryNetworkNode
            ? StrictMapping.Read(repositoryNetworkNode, repository.PathOf("network"), diagnostics, "allow")
            : null;

        if (network?["default"] is { } defaultNode)
        {
            ReadDefault(defaultNode, network.PathOf("default"), diagnostics);
        }

        var allStages = network?["allow"] is { } allowNode
            ? EgressRule.Merge(EgressRuleParser.ReadAllowList(allowNode, network.PathOf("allow"), diagnostics))
            : (ImmutableArray<EgressRule>?)null;

        var local = new Dictionary<string, ImmutableArray<EgressRule>>();
        var localBlocks = new List<(string Path, SourcePosition Position)>();
        if (repository is not null && repository.Has("network") && repositoryNetwork is not null)
        {
            local["repository"] = ReadStageBlock(repositoryNetwork, diagnostics, localBlocks);
        }

        foreach (var stage in SandboxStages)
        {
            if (network?[stage] is { } stageNode
                && StrictMapping.Read(stageNode, network.PathOf(stage), diagnostics, "allow") is { } block)
            {
                local[stage] = ReadStageBlock(block, diagnostics, localBlocks);
            }
        }

        if (allStages is { } shared)
        {
            foreach (var (path, position) in localBlocks)
            {
                diagnostics.Conflict(path, position,
                    "stage-local allow lists cannot be combined with sandbox.network.allow (which applies to every stage); " +
                    "move every rule into the stage blocks, or use only sandbox.network.allow");
            }

            return new StageRules(shared, shared, shared, shared);
        }

        ImmutableArray<EgressRule> Stage(string name) => local.TryGetValue(name, out var rules) ? rules : [];
        return new StageRules(Stage("repository"), Stage("dependencies"), Stage("services"), Stage("execution"));
    }

    private static ImmutableArray<EgressRule> ReadStageBlock(
        StrictMapping block, PolicyDiagnostics diagnostics, List<(string, SourcePosition)> localBlocks)
    {
        // The conflict points at the allow list when there is one, else at the block that announces it.
        localBlocks.Add(block.Has("allow") ? (block.PathOf("allow"), block.KeyPosition("allow")) : (block.Path, block.Position));
        return block["allow"] is { } allow
            ? EgressRule.Merge(EgressRuleParser.ReadAllowList(allow, block.PathOf("allow"), diagnostics))
            : [];
    }

    private static void ReadDefault(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        var value = ScalarValues.String(node, path, diagnostics);
        if (value == "allow")
        {
            diagnostics.Invalid(path, node,
                "network.default: allow cannot be set in a policy file; repository policy is deny-by-default. " +
                "For a one-off sandbox without egress filtering, pass --dangerously-allow-all to that command instead");
        }
        else if (value is not null && value != CompiledPolicy.DenyByDefault)
        {
            diagnostics.Invalid(path, node, $"network.default must be \"deny\", not \"{value}\"");
        }
    }
}
