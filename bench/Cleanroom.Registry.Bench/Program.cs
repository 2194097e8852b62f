// Registry pull benchmark: the same 100 MB, 5-layer image from docker-registry on 127.0.0.1, pulled by
// `skopeo copy` into an OCI directory (download and verify only) and by Cleanroom's puller into a fresh store, once
// without and once with unpacking into a rootfs tree (what a sandbox needs), alternating, in one run. Prints
// medians and ratios. With --phases: where the time of unpacking a pulled image goes.
using System.Diagnostics;
using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Cleanroom.Registry.Bench;
using Cleanroom.Testing.Registry;

var runs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;
if (RegistryTools.Missing() is { } missing)
{
    Console.Error.WriteLine($"cannot run: {missing}");
    return 1;
}

var scratch = Directory.CreateTempSubdirectory("cleanroom-registry-bench-");
await using var registry = await LocalRegistry.StartAsync();
try
{
    var layers = BenchImage.Layers();
    var layout = new OciLayout(Path.Combine(scratch.FullName, "layout"));
    var manifest = layout.AddImage(layers);
    layout.Tag("1", manifest);
    await registry.PushAsync(layout, "1", "bench/image");
    var reference = $"{registry.Host}/bench/image@{manifest.Digest}";
    var compressed = layers.Sum(layer => (long)layer.Blob.Length);
    Console.WriteLine($"image: {layers.Count} layers, {compressed / 1e6:0.0} MB compressed, {reference}");

    var options = new RegistryOptions { InsecureRegistries = [registry.Host], DockerConfigPath = "" };
    if (args.Contains("--phases"))
    {
        var profiled = OpenStore(scratch, "phases");
        using (var puller = new ImagePuller(profiled.Store, options))
        {
            await puller.PullAsync(reference);
        }

        Console.WriteLine("where unpacking goes (all layers, one after another):");
        await UnpackPhases.PrintAsync(profiled.Store, reference, Path.Combine(profiled.Root, "store", "blobs", "sha256"));
        return 0;
    }

    var skopeo = new List<double>();
    var download = new List<double>();
    var pullUnpack = new List<double>();
    var skopeoCpu = new List<double>();
    var pullUnpackCpu = new List<double>();
    // Nothing is deleted until the end: ext4 without a journal makes creating files slow for a few seconds after
    // many were deleted nearby (it skips recently freed inodes), which would charge one run's cleanup to the next.
    for (var run = -1; run < runs; run++)
    {
        // Run -1 warms up both sides (JIT, the registry's caches); it is not counted.
        var oci = Path.Combine(scratch.FullName, $"skopeo-{run}");
        var cpu = CpuClock.OfChildren();
        var time = await TimeAsync(() => Command.RunAsync("skopeo", ["copy", "--quiet", "--src-tls-verify=false", $"docker://{reference}", $"oci:{oci}:bench"]));
        Record(skopeo, run, time);
        Record(skopeoCpu, run, (CpuClock.OfChildren() - cpu).TotalMilliseconds);

        var downloadOnly = OpenStore(scratch, $"download-{run}");
        time = await TimeAsync(async () =>
        {
            using var puller = new ImagePuller(downloadOnly.Store, options);
            await puller.PullAsync(reference);
        });
        Record(download, run, time);

        var full = OpenStore(scratch, $"full-{run}");
        cpu = CpuClock.OfSelf();
        time = await TimeAsync(async () =>
        {
            using var puller = new ImagePuller(full.Store, options);
            await puller.PullAndUnpackAsync(reference);
        });
        Record(pullUnpack, run, time);
        Record(pullUnpackCpu, run, (CpuClock.OfSelf() - cpu).TotalMilliseconds);
        Console.WriteLine($"run {run}: skopeo {skopeo.LastOrDefault():0} ms, download {download.LastOrDefault():0} ms, pull+unpack {pullUnpack.LastOrDefault():0} ms");
    }

    var baseline = Median(skopeo);
    var baselineCpu = Median(skopeoCpu);
    Console.WriteLine();
    Console.WriteLine("| measure | wall, median (n={0}) | vs skopeo copy | wall, fastest | vs skopeo's fastest | CPU (user + kernel), median | vs skopeo copy |", runs);
    Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
    Console.WriteLine($"| skopeo copy to an OCI dir | {baseline:0} ms | 1.00x | {skopeo.Min():0} ms | 1.00x | {baselineCpu:0} ms | 1.00x |");
    Console.WriteLine($"| cleanroom pull (download, verify, store) | {Median(download):0} ms | {Median(download) / baseline:0.00}x | {download.Min():0} ms | {download.Min() / skopeo.Min():0.00}x | | |");
    Console.WriteLine($"| cleanroom pull + unpack to a rootfs | {Median(pullUnpack):0} ms | {Median(pullUnpack) / baseline:0.00}x | {pullUnpack.Min():0} ms | {pullUnpack.Min() / skopeo.Min():0.00}x | {Median(pullUnpackCpu):0} ms | {Median(pullUnpackCpu) / baselineCpu:0.00}x |");
    return 0;
}
finally
{
    Delete(scratch.FullName);
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var clock = Stopwatch.StartNew();
    await action();
    return clock.Elapsed.TotalMilliseconds;
}

static void Record(List<double> samples, int run, double milliseconds)
{
    if (run >= 0)
    {
        samples.Add(milliseconds);
    }
}

static double Median(List<double> samples)
{
    var sorted = samples.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static (ImageStore Store, string Root) OpenStore(DirectoryInfo scratch, string name)
{
    var root = Path.Combine(scratch.FullName, name);
    return (new ImageStore(new ImageStoreOptions(Path.Combine(root, "store"), Path.Combine(root, "rootfs"))), root);
}

static void Delete(string path)
{
    if (Directory.Exists(path))
    {
        Directory.Delete(path, recursive: true);
    }
}
