using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// Compiles the ordered block lists <c>sandbox.dependencies</c> and <c>sandbox.services</c>. Names are
/// unique across both lists because caches and logs are keyed by them; output paths must not repeat or
/// nest anywhere, because each one becomes its own cache volume and two volumes cannot own one directory.
/// </summary>
internal static partial class WorkloadSection
{
    private const int MaxNameLength = 63;

    public static (ImmutableArray<WorkloadBlock> Dependencies, ImmutableArray<WorkloadBlock> Services) Read(
        StrictMapping sandbox, SourceSequence? services, string repositoryPath, PolicyDiagnostics diagnostics)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var outputs = new List<DeclaredOutput>();
        var dependencies = sandbox["dependencies"] is { } node
            ? ReadList(node, sandbox.PathOf("dependencies"), repositoryPath, names, outputs, diagnostics)
            : [];
        var serviceBlocks = services is not null
            ? ReadList(services, sandbox.PathOf("services"), repositoryPath, names, outputs, diagnostics)
            : [];
        // Until the output cache exists, say so rather than accept the declaration silently.
        return (dependencies, serviceBlocks);
    }

    private static ImmutableArray<WorkloadBlock> ReadList(
        SourceNode node, string path, string repositoryPath, Dictionary<string, string> names,
        List<DeclaredOutput> outputs, PolicyDiagnostics diagnostics)
    {
        var blocks = ImmutableArray.CreateBuilder<WorkloadBlock>();
        if (ScalarValues.Sequence(node, path, diagnostics) is not { } items)
        {
            return blocks.ToImmutable();
        }

        for (var i = 0; i < items.Length; i++)
        {
            var block = ReadBlock(items[i], PolicyPath.Item(path, i), repositoryPath, names, outputs, diagnostics);
            if (block is not null)
            {
                blocks.Add(block);
            }
        }

        return blocks.ToImmutable();
    }

    private static WorkloadBlock? ReadBlock(
        SourceNode node, string path, string repositoryPath, Dictionary<string, string> names,
        List<DeclaredOutput> outputs, PolicyDiagnostics diagnostics)
    {
        if (StrictMapping.Read(node, path, diagnostics, "name", "command", "inputs", "outputs", "env") is not { } block)
        {
            return null;
        }

        var name = ReadName(block, names, diagnostics);
        string? command = null;
        if (block.Required("command", diagnostics, "the shell command this block runs") is { } commandNode
            && (commandNode is SourceSequence argv ? CommandLine(argv, block.PathOf("command"), diagnostics)
                : ScalarValues.String(commandNode, block.PathOf("command"), diagnostics)) is { } text)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                diagnostics.Invalid(block.PathOf("command"), commandNode, "command must not be empty");
            }
            else
            {
                command = text;
            }
        }

        var inputs = ReadInputs(block, diagnostics);
        var (dirs, files) = ReadOutputs(block, repositoryPath, outputs, diagnostics);
        var env = ReadEnv(block, diagnostics);
        return name is null || command is null ? null : new WorkloadBlock(name, command, inputs, dirs, files, env);
    }

    /// <summary>
    /// A command given as a list (upstream's argv form, <c>[sh, -lc, "..."]</c>) as the one shell command line that runs
    /// exactly that argv: each word single-quoted for <c>/bin/sh -c</c>.
    /// </summary>
    private static string? CommandLine(SourceSequence argv, string path, PolicyDiagnostics diagnostics)
    {
        var words = new List<string>();
        for (var i = 0; i < argv.Items.Length; i++)
        {
            if (argv.Items[i] is not SourceScalar { IsNull: false } word)
            {
                diagnostics.Invalid(PolicyPath.Item(path, i), argv.Items[i], $"a command list holds strings, not {ScalarValues.Describe(argv.Items[i])}");
                return null;
            }
            words.Add(word.Value);
        }
        if (words.Count == 0 || words[0].Length == 0)
        {
            diagnostics.Invalid(path, argv, "a command list must name a program first");
            return null;
        }
        return string.Join(' ', words.Select(w => "'" + w.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
    }

    private static string? ReadName(StrictMapping block, Dictionary<string, string> names, PolicyDiagnostics diagnostics)
    {
        if (block.Required("name", diagnostics, "a stable block name such as go-modules") is not { } node
            || ScalarValues.String(node, block.PathOf("name"), diagnostics) is not { } name)
        {
            return null;
        }

        if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
        {
            diagnostics.Invalid(block.PathOf("name"), node,
                $"block name \"{name}\" must be 1-{MaxNameLength} characters of a-z, 0-9, '_' or '-', starting with a letter or digit");
            return null;
        }

        if (names.TryGetValue(name, out var firstPath))
        {
            diagnostics.Invalid(block.PathOf("name"), node, $"block name \"{name}\" is already used by {firstPath}; names are unique across dependencies and services");
            return null;
        }

        names.Add(name, block.Path);
        return name;
    }

    private static ImmutableArray<string> ReadInputs(StrictMapping block, PolicyDiagnostics diagnostics)
    {
        if (block["inputs"] is not { } node || StrictMapping.Read(node, block.PathOf("inputs"), diagnostics, "files") is not { } inputs
            || inputs["files"] is not { } filesNode)
        {
            return [];
        }

        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (raw, itemPath, item) in Strings(filesNode, inputs.PathOf("files"), diagnostics))
        {
            var normalized = WorkloadPaths.NormalizeInput(raw, out var error);
            if (normalized is null)
            {
                diagnostics.Invalid(itemPath, item, error);
            }
            else
            {
                files.Add(normalized);
            }
        }

        return [.. files];
    }

    private static (ImmutableArray<string> Dirs, ImmutableArray<string> Files) ReadOutputs(
        StrictMapping block, string repositoryPath, List<DeclaredOutput> declared, PolicyDiagnostics diagnostics)
    {
        if (block["outputs"] is not { } node
            || StrictMapping.Read(node, block.PathOf("outputs"), diagnostics, "dirs", "files") is not { } outputs)
        {
            return ([], []);
        }

        ImmutableArray<string> Read(string key)
        {
            var paths = new SortedSet<string>(StringComparer.Ordinal);
            if (outputs[key] is not { } listNode)
            {
                return [];
            }

            foreach (var (raw, itemPath, item) in Strings(listNode, outputs.PathOf(key), diagnostics))
            {
                var normalized = WorkloadPaths.NormalizeOutput(raw, repositoryPath, out var error);
                if (normalized is null)
                {
                    diagnostics.Invalid(itemPath, item, error);
                    continue;
                }

                var clash = declared.FirstOrDefault(d => GuestPath.IsSameOrInside(normalized, d.Path) || GuestPath.IsSameOrInside(d.Path, normalized));
                if (clash is not null)
                {
                    diagnostics.Invalid(itemPath, item, clash.Path == normalized
                        ? $"output \"{normalized}\" is already declared at {clash.YamlPath}"
                        : $"output \"{normalized}\" overlaps \"{clash.Path}\" declared at {clash.YamlPath}; outputs must not contain one another");
                    continue;
                }

                declared.Add(new DeclaredOutput(normalized, itemPath));
                paths.Add(normalized);
            }

            return [.. paths];
        }

        return (Read("dirs"), Read("files"));
    }

    private static ImmutableSortedDictionary<string, string> ReadEnv(StrictMapping block, PolicyDiagnostics diagnostics)
    {
        var env = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (block["env"] is not { } node || node is SourceScalar { IsNull: true })
        {
            return env.ToImmutable();
        }

        if (node is not SourceMapping mapping)
        {
            diagnostics.Invalid(block.PathOf("env"), node, $"env must be a mapping of NAME: value, not {ScalarValues.Describe(node)}");
            return env.ToImmutable();
        }

        foreach (var entry in mapping.Entries)
        {
            var path = PolicyPath.Field(block.PathOf("env"), entry.Key.Value);
            if (!EnvNamePattern().IsMatch(entry.Key.Value))
            {
                diagnostics.Invalid(path, entry.Key, $"\"{entry.Key.Value}\" is not a valid environment variable name (letters, digits and '_', not starting with a digit)");
                continue;
            }

            if (entry.Value is SourceScalar { IsNull: false } value)
            {
                env[entry.Key.Value] = value.Value;
            }
            else
            {
                diagnostics.Invalid(path, entry.Value, $"environment values are strings, not {ScalarValues.Describe(entry.Value)}");
            }
        }

        return env.ToImmutable();
    }

    private static IEnumerable<(string Value, string Path, SourceNode Node)> Strings(SourceNode node, string path, PolicyDiagnostics diagnostics)
    {
        if (ScalarValues.Sequence(node, path, diagnostics) is not { } items)
        {
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            if (ScalarValues.String(items[i], PolicyPath.Item(path, i), diagnostics) is { } value)
            {
                yield return (value, PolicyPath.Item(path, i), items[i]);
            }
        }
    }

    private sealed record DeclaredOutput(string Path, string YamlPath);

    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]*\z")]
    internal static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    internal static partial Regex EnvNamePattern();
}
