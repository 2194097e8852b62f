using System.Collections.Immutable;

namespace Cleanroom.Policy;

/// <summary>
/// One entry of <c>sandbox.dependencies</c> or <c>sandbox.services</c>: a named command whose declared
/// inputs key a cache and whose declared outputs are what that cache keeps. Blocks run in policy order;
/// inside a block, inputs and outputs are sets and are kept sorted and distinct.
/// </summary>
public sealed record WorkloadBlock(
    string Name,
    string Command,
    ImmutableArray<string> InputFiles,
    ImmutableArray<string> OutputDirs,
    ImmutableArray<string> OutputFiles,
    ImmutableSortedDictionary<string, string> Env);
