namespace Cleanroom.Bench;

/// <summary>
/// Collects results and prints them as the Markdown tables the README's performance section holds: the gVisor rows
/// with one column per platform side by side, then the rows measured once (qemu) as before.
/// </summary>
internal sealed class Report(string title, IEnumerable<string> platforms)
{
    private readonly string[] _platforms = [.. platforms];
    private readonly List<(string What, string Target, Dictionary<string, string> Cells)> _gvisor = [];
    private readonly List<string> _rows = [];

    public void Compare(string what, Measurement cleanroom, Measurement baseline, string target, string? platform = null)
    {
        var ratio = cleanroom.Median / baseline.Median;
        if (platform is null)
        {
            _rows.Add($"| {what} | {cleanroom.Name}: median {cleanroom.Median:0.0} ms (min {cleanroom.Min:0.0}, max {cleanroom.Max:0.0}, n={cleanroom.Milliseconds.Count}) "
                + $"| {baseline.Name}: median {baseline.Median:0.0} ms | {ratio:0.00}x | {target} |");
        }
        else
        {
            Cell(what, target, platform, $"{cleanroom.Median:0.0} ms (min {cleanroom.Min:0.0}, max {cleanroom.Max:0.0}, n={cleanroom.Milliseconds.Count}); "
                + $"{baseline.Name}: {baseline.Median:0.0} ms; {ratio:0.00}x");
        }
        Console.Error.WriteLine($"  {what}{(platform is null ? "" : $" [{platform}]")}: {cleanroom.Median:0.0} ms vs {baseline.Median:0.0} ms");
    }

    public void Throughput(string what, double megabytesPerSecond, double baselineMegabytesPerSecond, string target, string platform, string baseline = "host pipe")
    {
        Cell(what, target, platform, $"{megabytesPerSecond:0} MB/s; {baseline}: {baselineMegabytesPerSecond:0} MB/s; {megabytesPerSecond / baselineMegabytesPerSecond:0.00}x");
        Console.Error.WriteLine($"  {what} [{platform}]: {megabytesPerSecond:0} MB/s vs {baselineMegabytesPerSecond:0} MB/s");
    }

    public void Print()
    {
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        if (_gvisor.Count > 0)
        {
            Console.WriteLine($"| gVisor measure | {string.Join(" | ", _platforms)} | target |");
            Console.WriteLine($"| --- | {string.Join(" | ", _platforms.Select(_ => "---"))} | --- |");
            foreach (var (what, target, cells) in _gvisor)
                Console.WriteLine($"| {what} | {string.Join(" | ", _platforms.Select(p => cells.GetValueOrDefault(p, "-")))} | {target} |");
            Console.WriteLine();
        }
        if (_rows.Count > 0)
        {
            Console.WriteLine("| measure | cleanroom | baseline (same run) | ratio | target |");
            Console.WriteLine("| --- | --- | --- | --- | --- |");
            foreach (var row in _rows)
                Console.WriteLine(row);
            Console.WriteLine();
        }
    }

    public void Cell(string what, string target, string platform, string text)
    {
        var index = _gvisor.FindIndex(r => r.What == what);
        if (index < 0)
        {
            _gvisor.Add((what, target, new Dictionary<string, string>(StringComparer.Ordinal)));
            index = _gvisor.Count - 1;
        }
        _gvisor[index].Cells[platform] = text.Replace("|", "\\|", StringComparison.Ordinal); // "head | cat" inside a table cell
    }
}
