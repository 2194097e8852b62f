using System.Text;
using Cleanroom.Policy;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// The system git config a sandbox gets (<c>/etc/gitconfig</c>): for each name its policy allows, git's
/// <c>url.&lt;gateway&gt;.insteadOf</c> rewrite, so <c>git clone https://HOST/org/repo</c> goes to the gateway unchanged.
/// Port 443 rewrites the https URL; any other allowed port rewrites <c>http://HOST:PORT/</c> (plain HTTP upstream).
/// Only a convenience: the gateway enforces the policy itself, whatever URL the guest uses.
/// </summary>
internal static class GuestGitConfig
{
    public const string GuestPath = "/etc/gitconfig";

    public static string For(IEnumerable<EgressRule> rules, string gatewayAuthority)
    {
        var text = new StringBuilder("# Written by Cleanroom: git over HTTP(S) to the hosts this sandbox's policy allows goes through the host gateway.\n");
        foreach (var rule in rules.Where(r => !System.Net.IPAddress.TryParse(r.Host, out _)).OrderBy(r => r.Host, StringComparer.Ordinal))
        {
            var host = rule.Host.TrimEnd('.').ToLowerInvariant();
            foreach (var port in rule.Ports.Order())
            {
                var route = port == 443 ? host : $"{host}:{port}";
                var original = port == 443 ? $"https://{host}/" : $"http://{host}:{port}/";
                text.Append($"[url \"http://{gatewayAuthority}/git/{route}/\"]\n\tinsteadOf = {original}\n");
            }
        }

        return text.ToString();
    }
}
