namespace Cleanroom.Bench;

/// <summary>Collects results and prints them as the Markdown table the README's performance section holds.</summary>
internal sealed class Report(string title)
{
    private readonly List<string> _rows = [];

    public void Compare(string what, Measurement cleanroom, Measurement baseline, string target)
    {
        _rows.Add($"| {what} | {cleanroom.Name}: median {cleanroom.Median:0.0} ms (min {cleanroom.Min:0.0}, max {cleanroom.Max:0.0}, n={cleanroom.Milliseconds.Count}) "
            + $"| {baseline.Name}: median {baseline.Median:0.0} ms | {cleanroom.Median / baseline.Median:0.00}x | {target} |");
        Console.Error.WriteLine($"  {what}: {cleanroom.Median:0.0} ms vs {baseline.Median:0.0} ms");
    }

    public void Throughput(string what, double megabytesPerSecond, double baselineMegabytesPerSecond, string target, string baseline = "host pipe")
    {
        _rows.Add($"| {what} | {megabytesPerSecond:0} MB/s | {baseline}: {baselineMegabytesPerSecond:0} MB/s | {megabytesPerSecond / baselineMegabytesPerSecond:0.00}x | {target} |");
        Console.Error.WriteLine($"  {what}: {megabytesPerSecond:0} MB/s");
    }

    public void Print()
    {
        Console.WriteLine($"### {title}");
        Console.WriteLine();
        Console.WriteLine("| measure | cleanroom | baseline (same run) | ratio | target |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var row in _rows)
        {
            Console.WriteLine(row);
        }
        Console.WriteLine();
    }
}
