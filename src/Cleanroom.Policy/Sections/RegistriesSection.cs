using System.Text.RegularExpressions;
using Cleanroom.Policy.Rules;
using Cleanroom.Policy.Yaml;

namespace Cleanroom.Policy.Sections;

/// <summary>
/// Compiles <c>registries:</c>. Today one setting: <c>npm.lockfile_enforcement: {lockfile, mode}</c>, whose lockfile (a
/// path relative to the repository, default <c>package-lock.json</c>) is read through <c>repositoryFile</c> and compiled
/// into the policy (<see cref="NpmLockfilePolicy"/>). A caller that has no repository to read from cannot compile such a
/// policy: that is an error, never a policy compiled without its lockfile.
/// </summary>
internal static partial class RegistriesSection
{
    public const string DefaultLockfile = "package-lock.json";

    public static NpmLockfilePolicy? Read(SourceNode node, string path, Func<string, string?>? repositoryFile, PolicyDiagnostics diagnostics)
    {
        if (StrictMapping.Read(node, path, diagnostics, "npm") is not { } registries
            || registries["npm"] is not { } npmNode
            || StrictMapping.Read(npmNode, registries.PathOf("npm"), diagnostics, "lockfile_enforcement") is not { } npm
            || npm["lockfile_enforcement"] is not { } enforcementNode
            || StrictMapping.Read(enforcementNode, npm.PathOf("lockfile_enforcement"), diagnostics, "lockfile", "mode") is not { } enforcement)
            return null;

        var modeNode = enforcement.Required("mode", diagnostics, $"{NpmLockfilePolicy.DenyUnknown} (refuse packages the lockfile does not name) or {NpmLockfilePolicy.Warn}");
        var mode = modeNode is null ? null : ScalarValues.String(modeNode, enforcement.PathOf("mode"), diagnostics);
        if (modeNode is not null && mode is not null && mode is not (NpmLockfilePolicy.DenyUnknown or NpmLockfilePolicy.Warn))
        {
            diagnostics.Invalid(enforcement.PathOf("mode"), modeNode, $"must be {NpmLockfilePolicy.DenyUnknown} or {NpmLockfilePolicy.Warn}, not \"{mode}\"");
            mode = null;
        }

        var lockfile = DefaultLockfile;
        var lockfileAt = enforcement.KeyPosition("lockfile");
        if (enforcement["lockfile"] is { } lockfileNode)
        {
            lockfile = ScalarValues.String(lockfileNode, enforcement.PathOf("lockfile"), diagnostics) ?? "";
            if (!RelativePath().IsMatch(lockfile) || lockfile.Split('/').Any(s => s is "." or ".."))
            {
                diagnostics.Invalid(enforcement.PathOf("lockfile"), lockfileNode, "must be a path inside the repository (relative, no '.' or '..' segments), such as package-lock.json");
                return null;
            }
        }

        if (mode is null)
            return null;
        if (repositoryFile is null)
        {
            diagnostics.Invalid(enforcement.PathOf("lockfile"), lockfileAt,
                $"lockfile enforcement needs the repository's {lockfile}, and this policy was compiled without a repository to read it from");
            return null;
        }

        string? text;
        try
        {
            text = repositoryFile(lockfile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Invalid(enforcement.PathOf("lockfile"), lockfileAt, $"cannot read {lockfile}: {e.Message}");
            return null;
        }

        if (text is null)
        {
            diagnostics.Invalid(enforcement.PathOf("lockfile"), lockfileAt, $"{lockfile} does not exist in the repository; run npm install to write it, or name the lockfile");
            return null;
        }

        if (NpmLockfileParser.Read(text, out var error) is not { } packages)
        {
            diagnostics.Invalid(enforcement.PathOf("lockfile"), lockfileAt, $"{lockfile} {error}");
            return null;
        }

        return new NpmLockfilePolicy(lockfile, mode, packages);
    }

    [GeneratedRegex("^[A-Za-z0-9._@+-]+(?:/[A-Za-z0-9._@+-]+)*$")]
    private static partial Regex RelativePath();
}
