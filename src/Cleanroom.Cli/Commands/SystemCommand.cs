using System.CommandLine;
using System.Text.Json.Nodes;
using Cleanroom.Api.V1;
using Cleanroom.Cli.Client;
using Cleanroom.Cli.Output;

namespace Cleanroom.Cli.Commands;

/// <summary>
/// <c>cleanroom system df|prune</c>: the host's storage as the server holds it. The server answers, because only it
/// knows what its live sandboxes, spares and gateway requests use; nothing in use is listed as reclaimable or removed.
/// </summary>
internal static class SystemCommand
{
    public static Command Build(CliConsole console)
    {
        var system = new Command("system", "Show and reclaim the host storage the server keeps.");
        system.Subcommands.Add(BuildDiskUsage(console));
        system.Subcommands.Add(BuildPrune(console));
        return system;
    }

    private static Command BuildDiskUsage(CliConsole console)
    {
        var (host, json, verbose) = (CommonOptions.Host(), CommonOptions.Json(), new Option<bool>("--verbose", "-v") { Description = "List every item, not only each category's total" });
        var command = new Command("df", "Show the disk the server's images, caches, sandboxes and retained output take.") { host, json, verbose };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var usage = await client.System.GetDiskUsageAsync(new GetDiskUsageRequest(), cancellationToken: token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(new JsonObject
                {
                    ["categories"] = new JsonArray(Totals(usage.Items).Select(t => (JsonNode?)new JsonObject
                    {
                        ["category"] = t.Category,
                        ["items"] = t.Items,
                        ["size_bytes"] = t.Bytes,
                        ["reclaimable_bytes"] = t.Reclaimable,
                    }).ToArray()),
                    ["items"] = Items(usage.Items),
                }.ToJsonString());
                return ExitCode.Success;
            }

            var table = new TextTable("CATEGORY", "ITEMS", "SIZE", "RECLAIMABLE");
            foreach (var total in Totals(usage.Items))
                table.Add(total.Category, total.Items.ToString(), Bytes(total.Bytes), Bytes(total.Reclaimable));
            table.WriteTo(console.Out);
            if (parse.GetValue(verbose))
            {
                console.Out.WriteLine();
                var items = new TextTable("CATEGORY", "NAME", "SIZE", "IN USE", "PATH");
                foreach (var item in usage.Items)
                    items.Add(item.Category, item.Name, Bytes(item.SizeBytes), item.InUse ? "yes" : "no", item.Path);
                items.WriteTo(console.Out);
            }

            return ExitCode.Success;
        }));
        return command;
    }

    private static Command BuildPrune(CliConsole console)
    {
        var (host, json) = (CommonOptions.Host(), CommonOptions.Json());
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed and remove nothing" };
        var all = new Option<bool>("--all") { Description = "Also remove snapshots and images no live sandbox runs (the default image stays)" };
        var command = new Command("prune",
            "Remove what nothing uses: ended sandboxes' leftovers, cached block outputs, unheld repository mirrors, old checkouts.")
            { host, dryRun, all, json };
        command.SetAction((parse, token) => ApiSession.RunAsync(console, parse.GetValue(host), async client =>
        {
            var pruned = await client.System.PruneAsync(new PruneRequest { DryRun = parse.GetValue(dryRun), All = parse.GetValue(all) }, cancellationToken: token);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(new JsonObject
                {
                    ["dry_run"] = pruned.DryRun,
                    ["reclaimed_bytes"] = pruned.ReclaimedBytes,
                    ["removed"] = Items(pruned.Removed),
                }.ToJsonString());
                return ExitCode.Success;
            }

            var verb = pruned.DryRun ? "would remove" : "removed";
            foreach (var item in pruned.Removed)
                console.Out.WriteLine($"{verb} {item.Category} {item.Name} ({Bytes(item.SizeBytes)})");
            console.Out.WriteLine($"{(pruned.DryRun ? "would reclaim" : "reclaimed")} {Bytes(pruned.ReclaimedBytes)} in {pruned.Removed.Count} item(s)");
            return ExitCode.Success;
        }));
        return command;
    }

    private static IEnumerable<(string Category, int Items, ulong Bytes, ulong Reclaimable)> Totals(IEnumerable<StorageItem> items) =>
        items.GroupBy(i => i.Category).Select(g => (g.Key, g.Count(), (ulong)g.Sum(i => (decimal)i.SizeBytes), (ulong)g.Where(i => !i.InUse).Sum(i => (decimal)i.SizeBytes)));

    private static JsonArray Items(IEnumerable<StorageItem> items) =>
        new(items.Select(i => (JsonNode?)new JsonObject
        {
            ["category"] = i.Category,
            ["name"] = i.Name,
            ["path"] = i.Path,
            ["size_bytes"] = i.SizeBytes,
            ["in_use"] = i.InUse,
        }).ToArray());

    private static string Bytes(ulong bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024UL * 1024 * 1024 => $"{bytes / 1024.0 / 1024.0:0.0} MiB",
        _ => $"{bytes / 1024.0 / 1024.0 / 1024.0:0.00} GiB",
    };
}
