using System.CommandLine;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Commands;

/// <summary>What <c>cleanroom exec</c> was asked to do, read from its flags.</summary>
internal sealed record ExecRequest(
    string? SandboxId,
    bool Remove,
    bool PrintSandboxId,
    string? Backend,
    string? Image,
    IReadOnlyList<string> EnvFlags,
    string? Cwd,
    long? TimeoutSeconds,
    string? Chdir,
    bool AllowAll,
    bool Stdin,
    bool CopyIn,
    bool CopyOut,
    IReadOnlyList<string> Command)
{
    /// <summary><c>-t</c>: the command runs on a terminal (always for <c>console</c>).</summary>
    public bool Tty { get; init; }

    /// <summary><c>-n</c>: the command reads /dev/null, whatever this process's stdin is.</summary>
    public bool NoStdin { get; init; }

    /// <summary><c>--detach-keys</c>, for a session on a terminal.</summary>
    public string? DetachKeys { get; init; }

    /// <summary><c>--repo-url</c> and its companions: the server checks the repository out; nothing local is read.</summary>
    public Cleanroom.Api.V1.RepositoryCheckout? Repository { get; init; }

    /// <summary><c>--no-cache</c>: the policy's setup blocks run even where their outputs are cached.</summary>
    public bool NoCache { get; init; }

    /// <summary><c>--from SNAPSHOT</c>: the new sandbox starts from a snapshot (its files and running processes).</summary>
    public string? FromSnapshot { get; init; }

    /// <summary><c>--expose</c>: host ports the server listens on for the sandbox, before the command starts.</summary>
    public IReadOnlyList<Ports.PortSpec> Expose { get; init; } = [];

    /// <summary><c>--expose-https</c>: HTTPS routes into the sandbox, before the command starts.</summary>
    public Ports.HttpsExposure ExposeHttps { get; init; } = Ports.HttpsExposure.None;

    /// <summary>
    /// Whether this process's stdin goes to the command: with a terminal, or when stdin is a pipe or file (as upstream
    /// does: <c>echo x | cleanroom exec -- cat</c>), or when <c>-i</c> asks for it; never with <c>-n</c>.
    /// </summary>
    public bool ForwardsStdin(bool stdinIsTerminal) => !NoStdin && (Tty || Stdin || !stdinIsTerminal);

    /// <summary><c>-e KEY=VALUE</c> sets a value; <c>-e KEY</c> passes the host's value (skipped when unset).</summary>
    public IEnumerable<(string Name, string Value)> Environment(Func<string, string?> hostEnvironment)
    {
        foreach (var flag in EnvFlags)
        {
            var equals = flag.IndexOf('=');
            var name = equals < 0 ? flag : flag[..equals];
            if (name.Length == 0)
            {
                throw new CleanroomException(ErrorCode.InvalidArgument, $"-e '{flag}' has no variable name");
            }

            var value = equals < 0 ? hostEnvironment(name) : flag[(equals + 1)..];
            if (value is not null)
            {
                yield return (name, value);
            }
        }
    }
}

/// <summary>The flags of <c>cleanroom exec</c>, in one place so the verb itself stays about running.</summary>
internal sealed class ExecOptions
{
    private readonly Option<string?> _host = CommonOptions.Host();
    private readonly Option<string?> _in = new("--in", "--sandbox-id") { Description = "Run in this existing sandbox instead of creating one" };
    private readonly Option<bool> _remove = new("--rm") { Description = "Terminate the sandbox when the command ends" };
    private readonly Option<bool> _keep = new("--keep") { Description = "Keep the sandbox after the command (the default; for scripts that want to say so)" };
    private readonly Option<bool> _printId = new("--print-sandbox-id") { Description = "Print the sandbox id on stderr" };
    private readonly Option<string?> _backend = CommonOptions.Backend();
    private readonly Option<string?> _image = new("--image") { Description = "Use this image instead of the policy's (a tag resolves to a digest)" };
    private readonly Option<string[]> _env = new("--env", "-e") { Description = "Set KEY=VALUE in the workload's environment, or pass the host's KEY" };
    private readonly Option<string?> _cwd = new("--cwd") { Description = "Working directory inside the sandbox" };
    private readonly Option<long?> _timeout = new("--timeout") { Description = "Stop the command after this many seconds (exit 124)" };
    private readonly Option<string?> _chdir = CommonOptions.Chdir();
    private readonly Option<bool> _allowAll = CommonOptions.DangerouslyAllowAll();
    private readonly Option<bool> _stdin = new("--stdin", "-i") { Description = "Send this process's stdin to the command, also from a terminal (a pipe or file is sent without it)" };
    private readonly Option<bool> _noStdin = new("--no-stdin", "-n") { Description = "The command reads nothing (/dev/null), whatever this process's stdin is" };
    private readonly Option<bool> _tty = new("--tty", "-t") { Description = "Run the command on a terminal (raw local terminal, window size follows)" };
    private readonly Option<string?> _detachKeys = new("--detach-keys") { Description = $"Keys that leave a terminal session with the command still running (default {Cleanroom.Cli.Terminal.DetachKeys.Default})" };
    private readonly Option<bool> _copyIn = new("--copy-in") { Description = "Copy the checkout's uncommitted changes (tracked and untracked, not ignored) into the workspace first" };
    private readonly Option<bool> _copyOut = new("--copy-out") { Description = "After the command, write the workspace's changes back into the checkout" };
    private readonly Option<bool> _sync = new("--sync") { Description = "Both --copy-in and --copy-out" };
    private readonly Option<string[]> _expose = CommonOptions.Expose();
    private readonly Option<string[]> _exposeHttps = CommonOptions.ExposeHttps();
    private readonly RepositoryCheckoutOptions _repository = new();
    private readonly Option<bool> _noCache = CommonOptions.NoCache();
    private readonly Option<string?> _from = CommonOptions.FromSnapshot();
    private readonly Argument<string[]> _command = new("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };

    /// <summary>Adds the flags; <paramref name="alwaysTty"/> (console) leaves out -t, -i and -n, which it decides itself.</summary>
    public void AddTo(Command command, bool alwaysTty = false)
    {
        foreach (var option in new Option[] { _noCache, _from, _host, _in, _remove, _keep, _printId, _backend, _image, _env, _cwd, _timeout, _chdir, _allowAll, _copyIn, _copyOut, _sync, _detachKeys, _expose, _exposeHttps })
        {
            command.Options.Add(option);
        }

        _repository.AddTo(command);

        if (!alwaysTty)
        {
            command.Options.Add(_stdin);
            command.Options.Add(_noStdin);
            command.Options.Add(_tty);
        }

        command.Arguments.Add(_command);
    }

    public string? HostOf(ParseResult parse) => parse.GetValue(_host);

    public ExecRequest Read(ParseResult parse, bool alwaysTty = false)
    {
        if (parse.GetValue(_noStdin) && parse.GetValue(_stdin))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "--no-stdin and --stdin contradict each other");
        }

        if (parse.GetValue(_remove) && parse.GetValue(_keep))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "--rm and --keep contradict each other");
        }

        if (parse.GetValue(_timeout) is <= 0)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, "--timeout must be a positive number of seconds");
        }

        var repository = _repository.Read(parse);
        if (parse.GetValue(_from) is not null && (parse.GetValue(_in) is not null || repository is not null || parse.GetValue(_copyIn) || parse.GetValue(_sync)))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                "--from starts a new sandbox from a snapshot, which already holds its workspace: it does not go with --in, --repo-url, --copy-in or --sync");
        }

        if (repository is not null && (parse.GetValue(_in) is not null || parse.GetValue(_copyIn) || parse.GetValue(_copyOut) || parse.GetValue(_sync) || parse.GetValue(_chdir) is not null))
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                "--repo-url makes a new sandbox from the server's own checkout: it does not go with --in, --chdir, --copy-in, --copy-out or --sync");
        }

        return new ExecRequest(
            parse.GetValue(_in),
            parse.GetValue(_remove),
            parse.GetValue(_printId),
            parse.GetValue(_backend),
            parse.GetValue(_image),
            parse.GetValue(_env) ?? [],
            parse.GetValue(_cwd),
            parse.GetValue(_timeout),
            parse.GetValue(_chdir),
            parse.GetValue(_allowAll),
            parse.GetValue(_stdin),
            parse.GetValue(_copyIn) || parse.GetValue(_sync),
            parse.GetValue(_copyOut) || parse.GetValue(_sync),
            parse.GetValue(_command) ?? [])
        {
            Tty = alwaysTty || parse.GetValue(_tty),
            NoStdin = !alwaysTty && parse.GetValue(_noStdin),
            DetachKeys = parse.GetValue(_detachKeys),
            Expose = CommonOptions.ExposeSpecs(parse.GetValue(_expose)),
            ExposeHttps = CommonOptions.ExposeHttpsOf(parse, _exposeHttps),
            Repository = repository,
            NoCache = parse.GetValue(_noCache),
            FromSnapshot = parse.GetValue(_from),
        };
    }
}
