using System.Security.Cryptography;
using System.Text;
using Cleanroom.Errors;

namespace Cleanroom.Api.Authentication;

/// <summary>
/// The static bearer tokens, read from their files once at start. Only SHA-256 digests are kept, and a presented
/// token is compared against each in constant time, so neither memory dumps nor timing give a token away.
/// </summary>
internal sealed class StaticTokens
{
    private readonly List<(byte[] Digest, string Principal)> _tokens = [];

    public StaticTokens(IEnumerable<StaticTokenSource> sources)
    {
        foreach (var source in sources)
        {
            string text;
            try
            {
                text = File.ReadAllText(source.File).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CleanroomException(ErrorCode.ConfigInvalid, $"auth.tokens: cannot read the token file of {source.Principal} ({source.File}): {e.Message}");
            }
            // Short tokens can be guessed; the message names the file, never its content.
            if (text.Length < 16)
                throw new CleanroomException(ErrorCode.ConfigInvalid, $"auth.tokens: the token in {source.File} ({source.Principal}) is shorter than 16 characters");
            _tokens.Add((Digest(text), source.Principal));
        }
    }

    /// <summary>The principal of <paramref name="token"/>, or null when it is none of the static tokens.</summary>
    public string? PrincipalOf(string token)
    {
        var digest = Digest(token);
        string? found = null;
        // Every entry is compared, so the time taken does not say which (or whether one) matched.
        foreach (var (candidate, principal) in _tokens)
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
                found ??= principal;
        return found;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
