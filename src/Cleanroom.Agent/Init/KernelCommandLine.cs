namespace Cleanroom.Agent.Init;

/// <summary>
/// The host's settings for this boot, read from /proc/cmdline. The host writes them as
/// <c>cleanroom.NAME=VALUE</c>: the kernel treats a dotted parameter as a module option, so it neither
/// complains about it nor passes it on to init's argv or environment, and workloads never inherit them.
/// </summary>
internal sealed class KernelCommandLine
{
    public const string Prefix = "cleanroom.";

    private readonly Dictionary<string, string> _values;

    private KernelCommandLine(Dictionary<string, string> values) => _values = values;

    public static KernelCommandLine Read() => Parse(File.ReadAllText("/proc/cmdline"));

    /// <summary>Our parameters only; values never contain spaces (the host encodes them), so no quoting is needed.</summary>
    public static KernelCommandLine Parse(string commandLine)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in commandLine.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "--")
                break; // the rest is init's own argv
            if (!token.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            var equals = token.IndexOf('=');
            var name = equals < 0 ? token[Prefix.Length..] : token[Prefix.Length..equals];
            values[name] = equals < 0 ? "" : token[(equals + 1)..];
        }
        return new KernelCommandLine(values);
    }

    public string? this[string name] => _values.GetValueOrDefault(name);

    public bool Has(string name) => _values.ContainsKey(name);
}
