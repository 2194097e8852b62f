namespace Cleanroom.Cli.Tests;

/// <summary>Runs the CLI in-process with captured output and a private environment.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public static async Task<CliRun> InvokeAsync(string workingDirectory, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(output, error, name => env.GetValueOrDefault(name), workingDirectory);
        var code = await CliApplication.RunAsync(args, console);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
