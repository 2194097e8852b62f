using System.Text.Json;
using Cleanroom.Images;
using Cleanroom.Images.Registry;
using Cleanroom.Server.Services;
using Microsoft.Extensions.Time.Testing;

namespace Cleanroom.Server.Tests;

/// <summary>What a sandbox's event stream shows of a pull: every layer, the end, and progress that never floods the store.</summary>
public sealed class ImagePullEventsTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void A_pull_of_gigabytes_records_at_most_ten_progress_events_and_one_per_layer()
    {
        var clock = new FakeTimeProvider();
        var payloads = new List<JsonElement>();
        var events = new ImagePullEvents(json => payloads.Add(JsonDocument.Parse(json).RootElement.Clone()), "127.0.0.1:5000/big@sha256:" + new string('a', 64), clock);
        var layers = Enumerable.Range(1, 5).Select(i => Blob(i)).ToList();
        var size = 1024 * MiB;

        events.Started();
        events.Report(new PullProgress(Blob(0), "config", 0, 1000, PullStage.Queued));
        foreach (var layer in layers)
        {
            events.Report(new PullProgress(layer, "layer", 0, size, PullStage.Queued));
        }

        events.Report(new PullProgress(Blob(0), "config", 1000, 1000, PullStage.Verified));
        foreach (var layer in layers)
        {
            // Every MiB, as the downloader reports it, with time passing at 100 MiB/s.
            for (var done = MiB; done < size; done += MiB)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                events.Report(new PullProgress(layer, "layer", done, size, PullStage.Downloading));
            }

            events.Report(new PullProgress(layer, "layer", size, size, PullStage.Verified));
        }

        var stages = payloads.Select(p => p.GetProperty("stage").GetString()).ToList();
        Assert.Equal("started", stages[0]);
        Assert.Equal("planned", stages[1]);
        Assert.Equal(5, stages.Count(stage => stage == "layer"));
        Assert.InRange(stages.Count(stage => stage == "progress"), 5, 10);
        Assert.Equal(
            Enumerable.Range(1, 5).Select(i => $"layer {i} of 5 ({Blob(i).ToString()[..19]}) 1073.7 MB verified"),
            payloads.Where(p => p.GetProperty("stage").GetString() == "layer").Select(p => p.GetProperty("message").GetString()));
        var progress = payloads.Where(p => p.GetProperty("stage").GetString() == "progress").Select(p => p.GetProperty("bytes_done").GetInt64()).ToList();
        Assert.Equal(progress.Order(), progress);
        Assert.All(payloads.Skip(1), p => Assert.Equal(5 * size + 1000, p.GetProperty("bytes_total").GetInt64()));
    }

    [Fact]
    public void Progress_waits_for_time_to_pass_however_fast_the_bytes_come()
    {
        var clock = new FakeTimeProvider();
        var payloads = new List<string>();
        var events = new ImagePullEvents(payloads.Add, "r@sha256:" + new string('b', 64), clock);
        events.Report(new PullProgress(Blob(1), "layer", 0, 100 * MiB, PullStage.Queued));

        for (var done = MiB; done < 100 * MiB; done += MiB)
        {
            events.Report(new PullProgress(Blob(1), "layer", done, 100 * MiB, PullStage.Downloading));
        }

        Assert.DoesNotContain(payloads, p => p.Contains("\"progress\"", StringComparison.Ordinal));
        clock.Advance(ImagePullEvents.ProgressInterval);
        events.Report(new PullProgress(Blob(1), "layer", 99 * MiB + 1, 100 * MiB, PullStage.Downloading));
        Assert.Single(payloads, p => p.Contains("\"progress\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_layer_found_in_the_store_is_reported_present_with_its_number()
    {
        var payloads = new List<string>();
        var events = new ImagePullEvents(payloads.Add, "r@sha256:" + new string('c', 64), new FakeTimeProvider());
        events.Report(new PullProgress(Blob(1), "layer", 0, 10, PullStage.Queued));
        events.Report(new PullProgress(Blob(2), "layer", 0, 10, PullStage.Queued));

        events.Report(new PullProgress(Blob(2), "layer", 10, 10, PullStage.Present));

        Assert.Contains(payloads, p => p.Contains($"layer 2 of 2 ({Blob(2).ToString()[..19]}) already present", StringComparison.Ordinal));
    }

    private static Digest Blob(int n) => Digest.Parse("sha256:" + n.ToString("x64"));
}
