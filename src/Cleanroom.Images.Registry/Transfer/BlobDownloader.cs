using System.Net;
using Cleanroom.Errors;
using Cleanroom.Images.Registry.Distribution;

namespace Cleanroom.Images.Registry.Transfer;

/// <summary>
/// Downloads one blob into an <see cref="ImageIntake"/>: skipped when the store holds it; resumed with a Range
/// request from the bytes a cut-off attempt (this pull's or an earlier one's) left; restarted from byte 0 when
/// the registry ignores the Range; verified against its digest at the end (a mismatch deletes it). A body that
/// breaks off or stalls is resumed up to <see cref="RegistryOptions.MaxRetries"/> times.
/// </summary>
internal sealed class BlobDownloader(RegistryClient client, RegistryOptions options, TimeProvider clock)
{
    private const int ChunkBytes = 1 << 17;
    private const long ProgressStepBytes = 1 << 20;

    public async Task DownloadAsync(
        RepositoryLocation where, Digest digest, long size, string kind, ImageIntake intake,
        IProgress<PullProgress>? progress, CancellationToken cancellationToken, Action<IncomingBlob>? opened = null)
    {
        if (intake.Holds(digest))
        {
            progress?.Report(new PullProgress(digest, kind, size, size, PullStage.Present));
            return;
        }

        var incoming = await intake.OpenBlobAsync(digest, size, cancellationToken).ConfigureAwait(false);
        opened?.Invoke(incoming);
        try
        {
            var freshRetryUsed = false;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    if (incoming.Length < size)
                    {
                        await FetchAsync(where, incoming, kind, progress, cancellationToken).ConfigureAwait(false);
                    }

                    var resumedFromEarlierPull = incoming.ResumedFrom > 0;
                    try
                    {
                        await incoming.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (CleanroomException e) when (e.Code == ErrorCode.DigestMismatch && resumedFromEarlierPull && !freshRetryUsed)
                    {
                        // The bytes an earlier pull left may be the bad ones (it was deleted): one fresh download decides.
                        freshRetryUsed = true;
                        await incoming.DisposeAsync().ConfigureAwait(false);
                        incoming = await intake.OpenBlobAsync(digest, size, cancellationToken).ConfigureAwait(false);
                        opened?.Invoke(incoming);
                        continue;
                    }

                    progress?.Report(new PullProgress(digest, kind, size, size, PullStage.Verified));
                    return;
                }
                catch (BodyInterruptedException) when (attempt < options.MaxRetries)
                {
                    await Task.Delay(Backoff(attempt), clock, cancellationToken).ConfigureAwait(false);
                }
                catch (BodyInterruptedException e)
                {
                    throw RegistryFailure.Unreachable(where, e);
                }
            }
        }
        finally
        {
            await incoming.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task FetchAsync(RepositoryLocation where, IncomingBlob incoming, string kind, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        using var response = await client.GetBlobAsync(where, incoming.Digest, incoming.Length, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // What we hold is not a prefix the registry recognises; start over.
            incoming.Restart();
            throw new BodyInterruptedException("the registry refused the resume range", null);
        }

        if (incoming.Length > 0 && (response.StatusCode != HttpStatusCode.PartialContent
                                    || response.Content.Headers.ContentRange?.From != incoming.Length))
        {
            incoming.Restart(); // Range ignored: the body is the whole blob
        }

        var buffer = new byte[ChunkBytes];
        var reported = incoming.Length;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            while (true)
            {
                stall.CancelAfter(options.StallTimeout);
                var read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await incoming.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                if (incoming.Length - reported >= ProgressStepBytes)
                {
                    reported = incoming.Length;
                    progress?.Report(new PullProgress(incoming.Digest, kind, incoming.Length, incoming.Size, PullStage.Downloading));
                }
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                  && e is IOException or HttpRequestException or OperationCanceledException)
        {
            throw new BodyInterruptedException($"the download of blob {incoming.Digest} broke off after {incoming.Length} bytes", e);
        }

        if (incoming.Length < incoming.Size)
        {
            throw new BodyInterruptedException($"the download of blob {incoming.Digest} ended after {incoming.Length} of {incoming.Size} bytes", null);
        }
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(options.RetryBaseDelay.Ticks * (1L << Math.Min(attempt, 6)));

    private sealed class BodyInterruptedException(string message, Exception? inner) : Exception(message, inner);
}
