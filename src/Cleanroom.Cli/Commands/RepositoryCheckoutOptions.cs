using System.CommandLine;
using Cleanroom.Api.V1;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>--repo-url URL [--repo-commit SHA] [--repo-ref REF]</c> (exec, console, create): the server checks the repository
/// out itself and takes the policy from that commit; no local checkout or policy file is read.
/// </summary>
internal sealed class RepositoryCheckoutOptions
{
    private readonly Option<string?> _url = new("--repo-url") { Description = "Let the server check out this repository (https://HOST/PATH) and take cleanroom.yaml from it; no local checkout is used" };
    private readonly Option<string?> _commit = new("--repo-commit") { Description = "With --repo-url: the commit to check out (default: the tip of --repo-ref, else of the default branch)" };
    private readonly Option<string?> _ref = new("--repo-ref") { Description = "With --repo-url: the branch or tag to check out" };

    public void AddTo(Command command)
    {
        command.Options.Add(_url);
        command.Options.Add(_commit);
        command.Options.Add(_ref);
    }

    /// <summary>The checkout asked for; null without <c>--repo-url</c> (and then neither of the others may be given).</summary>
    public RepositoryCheckout? Read(ParseResult parse)
    {
        var url = parse.GetValue(_url);
        var commit = parse.GetValue(_commit);
        var reference = parse.GetValue(_ref);
        if (url is null)
        {
            return commit is null && reference is null ? null
                : throw new CleanroomException(ErrorCode.InvalidArgument, "--repo-commit and --repo-ref need --repo-url");
        }

        return new RepositoryCheckout { Url = url, Commit = commit ?? "", Ref = reference ?? "" };
    }
}
