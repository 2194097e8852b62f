using System.Text;
using Cleanroom.Errors;
using YamlDotNet.Core;

namespace Cleanroom.Images.Registry.Policy;

/// <summary>
/// <c>cleanroom image bump-ref</c>'s work: re-pins a policy's <c>sandbox.image.ref</c> to the digest its tag points
/// at now, rewriting only that scalar's characters. Comments, quoting, key order, indentation, line endings and
/// a byte-order mark stay byte for byte. The file is replaced by rename, so it is never seen half written.
/// </summary>
public static class PolicyImageBump
{
    private static readonly string[] RefPath = ["sandbox", "image", "ref"];

    /// <summary>
    /// Resolves the tag in <c>sandbox.image.ref</c> (which must name one: <c>name:tag@sha256:…</c>) with
    /// <paramref name="resolveTagToDigest"/> and writes the new digest in place of the old one (or adds it).
    /// </summary>
    public static async Task<PolicyImageBumpResult> RewriteAsync(
        string policyPath, Func<ImageReference, CancellationToken, Task<Digest>> resolveTagToDigest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resolveTagToDigest);
        var bytes = await File.ReadAllBytesAsync(policyPath, cancellationToken).ConfigureAwait(false);
        var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, bom, bytes.Length - bom);
        var found = YamlScalarLocator.Find(text, policyPath, RefPath);
        var reference = ImageReference.Parse(found.Value);
        if (reference.Tag is null)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument,
                $"{policyPath}: sandbox.image.ref \"{found.Value}\" names no tag to follow; write it as name:tag@sha256:… first");
        }

        var digest = await resolveTagToDigest(ImageReference.Parse(StripDigest(found.Value)), cancellationToken).ConfigureAwait(false);
        // The name stays as the user wrote it (not normalised to docker.io/library/...).
        var newValue = StripDigest(found.Value) + "@" + digest;
        var result = new PolicyImageBumpResult(policyPath, found.Value, newValue);
        if (!result.Changed)
        {
            return result;
        }

        var replacement = found.Style switch
        {
            ScalarStyle.SingleQuoted => $"'{newValue}'",
            ScalarStyle.DoubleQuoted => $"\"{newValue}\"",
            _ => newValue,
        };
        var rewritten = string.Concat(text.AsSpan(0, found.Start), replacement, text.AsSpan(found.End));
        await WriteReplacingAsync(policyPath, bytes.AsMemory(0, bom), Encoding.UTF8.GetBytes(rewritten), cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static string StripDigest(string reference)
    {
        var at = reference.IndexOf('@');
        return at < 0 ? reference : reference[..at];
    }

    private static async Task WriteReplacingAsync(string path, ReadOnlyMemory<byte> bom, byte[] content, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                await file.WriteAsync(bom, cancellationToken).ConfigureAwait(false);
                await file.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(full));
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

/// <summary>What <see cref="PolicyImageBump.RewriteAsync"/> did: the reference before and after (the same when the digest had not moved).</summary>
public sealed record PolicyImageBumpResult(string PolicyPath, string OldReference, string NewReference)
{
    public bool Changed => !string.Equals(OldReference, NewReference, StringComparison.Ordinal);
}
