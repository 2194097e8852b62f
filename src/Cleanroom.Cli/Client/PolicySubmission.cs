using Cleanroom.Api.V1;
using Cleanroom.Errors;
using Cleanroom.Policy;

namespace Cleanroom.Cli.Client;

/// <summary>
/// Builds CreateSandbox requests from the repository's policy: found from <c>--chdir</c>, compiled here so the
/// user sees policy errors with their line numbers, and sent compiled (the server re-validates and re-hashes it).
/// </summary>
internal static class PolicySubmission
{
    public static CreateSandboxRequest Build(CliConsole console, string? chdir, string? backend, bool allowAll) =>
        Prepare(console, chdir, backend, allowAll).Request;

    /// <summary>The request, and where the policy puts the repository in the guest (<c>repository.path</c>).</summary>
    public static SubmittedPolicy Prepare(CliConsole console, string? chdir, string? backend, bool allowAll)
    {
        var start = console.ResolvePath(chdir);
        var (text, path, repositoryFile) = ReadPolicy(console, start);
        var result = PolicyCompiler.Compile(text, path, repositoryFile);
        if (!result.Valid)
        {
            foreach (var error in result.Errors)
            {
                console.Error.WriteLine($"  {path}:{error.Line}:{error.Column}: {error.Path}: {error.Message}");
            }

            throw new CleanroomException(result.Errors[0].Code, $"{path} is not a valid policy");
        }

        if (allowAll)
        {
            console.Error.WriteLine("warning: --dangerously-allow-all: this sandbox may reach any host; the choice is recorded on the sandbox and in the audit log");
        }

        return new SubmittedPolicy(new CreateSandboxRequest
        {
            Backend = backend ?? "",
            PolicyJson = result.Policy!.CanonicalJson,
            PolicyHash = result.Policy.PolicyHash,
            DangerouslyAllowAll = allowAll,
        }, result.Policy);
    }

    /// <summary>
    /// The repository's policy file; where there is none (a clone of any repository, an empty directory), the
    /// starter policy: deny-all egress and the runtime config's default image, said so on stderr.
    /// </summary>
    private static (string Text, string Path, Func<string, string?>? RepositoryFile) ReadPolicy(CliConsole console, string start)
    {
        try
        {
            var location = PolicyFileLocator.Locate(start);
            foreach (var warning in location.Warnings)
            {
                console.Error.WriteLine($"warning: {warning}");
            }

            return (File.ReadAllText(location.PolicyPath), location.PolicyPath, location.ReadRepositoryFile);
        }
        catch (CleanroomException e) when (e.Code == ErrorCode.PolicyNotFound && Directory.Exists(start))
        {
            var pinned = Commands.StarterImage.Pin(console, null);
            console.Error.WriteLine($"cleanroom: no cleanroom.yaml in {start}; using a deny-all policy with {pinned} ('cleanroom init' writes one to edit)");
            return (StarterPolicy.Render(pinned), "(default policy)", null);
        }
    }
}

/// <summary>A create request and the compiled policy it carries, kept as data for what the CLI does around the create.</summary>
internal sealed record SubmittedPolicy(CreateSandboxRequest Request, CompiledPolicy Policy)
{
    /// <summary>Where the policy puts the repository in the guest (<c>repository.path</c>).</summary>
    public string RepositoryPath => Policy.RepositoryPath;

    public Cleanroom.Policy.ExposeHttps? ExposeHttps => Policy.ExposeHttps;

    /// <summary>The policy has dependency or service blocks: a workspace must be in before they run.</summary>
    public bool HasSetupBlocks => !Policy.Dependencies.IsEmpty || !Policy.Services.IsEmpty;
}
