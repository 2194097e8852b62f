namespace Cleanroom.Policy;

/// <summary>
/// Locates and compiles the policy that applies to a directory. Reading that file (and the repository files the policy
/// compiles in, such as an npm lockfile) is its only I/O.
/// </summary>
public static class PolicyLoader
{
    /// <exception cref="Cleanroom.Errors.CleanroomException">policy_not_found when no policy file exists.</exception>
    public static LoadedPolicy Load(string startDirectory)
    {
        var location = PolicyFileLocator.Locate(startDirectory);
        var text = File.ReadAllText(location.PolicyPath);
        return new LoadedPolicy(location, PolicyCompiler.Compile(text, location.PolicyPath, location.ReadRepositoryFile));
    }
}
