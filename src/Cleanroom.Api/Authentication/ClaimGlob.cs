namespace Cleanroom.Api.Authentication;

/// <summary>
/// The patterns of <c>auth.policy</c>: a glob matched against a whole claim value, <c>*</c> any run of characters
/// (slashes included: <c>org/*</c> is every repository of org), <c>?</c> one character, everything else literally.
/// </summary>
public static class ClaimGlob
{
    public static bool Matches(string pattern, string value)
    {
        // Greedy with one back-off point: the last '*' seen and where the value stood when it was seen.
        int p = 0, v = 0, star = -1, resume = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == value[v]) && pattern[p] != '*')
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
