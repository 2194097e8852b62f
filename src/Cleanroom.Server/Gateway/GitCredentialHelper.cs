using System.Text;
using Cleanroom.Errors;
using Cleanroom.HostProcesses;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Asks a host's git credential helper (<c>gateway.credentials.hosts.HOST.helper</c>) for a credential by running
/// <c>git credential fill</c> with that helper as the only <c>credential.helper</c>, set through environment-only git
/// config (never argv, never a config file). Nothing may prompt: no terminal prompt, no askpass program, GCM told never
/// to be interactive; a helper that does not answer within <see cref="Timeout"/> is killed. The helper's output is
/// never logged or put in a message (HostProgram logs only argv; its stderr is not used here, since a helper may echo
/// what it read).
/// </summary>
public sealed class GitCredentialHelper(ILogger logger)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly HostProgram _git = new(logger, ErrorCode.CredentialHelperFailed, Timeout);

    /// <summary>The user name and password the helper gives for <c>https://HOST/PATH</c>; a <see cref="CredentialUnavailableException"/> otherwise.</summary>
    public async Task<(string Username, string Password)> FillAsync(string host, string helper, string repositoryPath, CancellationToken cancellationToken)
    {
        var input = Encoding.UTF8.GetBytes($"protocol=https\nhost={host}\npath={repositoryPath.TrimStart('/')}\n\n");
        HostProgramResult? result;
        try
        {
            result = await _git.TryRunAsync(["git", "credential", "fill"], Path.GetTempPath(), input, null, Timeout, Environment(helper), cancellationToken);
        }
        catch (CleanroomException e)
        {
            throw Failed(host, $"git cannot be started ({e.Message})");
        }

        if (result is null)
            throw Failed(host, $"it did not answer within {Timeout.TotalSeconds:0} s and was killed");
        if (!result.Succeeded)
            throw Failed(host, $"git credential fill exited with {result.ExitCode} (no credential, or the helper wanted to prompt)");
        return Parse(result.StdoutText) ?? throw Failed(host, "its answer has no username and password");
    }

    /// <summary>
    /// The <c>username</c> and <c>password</c> of git's credential output (<c>key=value</c> lines up to a blank line);
    /// null when either is missing, empty or holds a control character.
    /// </summary>
    public static (string Username, string Password)? Parse(string output)
    {
        string? username = null, password = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.Length == 0)
                break;
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                continue;
            var value = line[(equals + 1)..];
            switch (line[..equals])
            {
                case "username":
                    username = value;
                    break;
                case "password":
                    password = value;
                    break;
            }
        }

        return username is { Length: > 0 } && password is { Length: > 0 } && !username.Contains(':', StringComparison.Ordinal)
            && !username.Any(char.IsControl) && !password.Any(char.IsControl)
            ? (username, password)
            : null;
    }

    private static Dictionary<string, string> Environment(string helper) => new(StringComparer.Ordinal)
    {
        // An empty credential.helper clears the helpers of every other config file; then only this one is asked.
        ["GIT_CONFIG_COUNT"] = "3",
        ["GIT_CONFIG_KEY_0"] = "credential.helper",
        ["GIT_CONFIG_VALUE_0"] = "",
        ["GIT_CONFIG_KEY_1"] = "credential.helper",
        ["GIT_CONFIG_VALUE_1"] = helper,
        // Without it git drops the path before asking, and per-repository helpers could not tell repositories apart.
        ["GIT_CONFIG_KEY_2"] = "credential.useHttpPath",
        ["GIT_CONFIG_VALUE_2"] = "true",
        ["GIT_TERMINAL_PROMPT"] = "0",
        ["GIT_ASKPASS"] = "",
        ["SSH_ASKPASS"] = "",
        ["GCM_INTERACTIVE"] = "never",
        ["GIT_TRACE"] = "0",
        ["GIT_TRACE_CURL"] = "0",
    };

    private static CredentialUnavailableException Failed(string host, string why) =>
        new(ErrorCode.CredentialHelperFailed, $"the credential helper for {host} gave no credential: {why}");
}
