using System.Collections.Immutable;
using Cleanroom.Errors;

namespace Cleanroom.Server.Gateway;

/// <summary>
/// Decides, from a request's headers alone, which of the caller's secrets the gateway puts into the upstream request
/// for HOST:PORT — or refuses the request (<c>secret_scope_violation</c>) when a placeholder appears where its binding
/// does not allow: for a destination not in the binding's hosts, in a header other than the binding's, or in a value
/// that is neither the bare placeholder nor the binding's format around it (so the value is only ever sent whole, in
/// the form the policy states). Pure: no values are read here.
/// </summary>
internal static class SecretHeaders
{
    /// <returns>The headers to set (each to its secret's rendered value), or the refusal.</returns>
    public static SecretHeaderPlan Plan(ImmutableArray<SandboxSecret> secrets, string host, int port, IEnumerable<(string Name, IReadOnlyList<string> Values)> headers)
    {
        var sets = new List<(string Header, SandboxSecret Secret)>();
        if (secrets.IsDefaultOrEmpty)
            return new SecretHeaderPlan(sets, null);
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                foreach (var secret in secrets.Where(s => value.Contains(s.Placeholder, StringComparison.Ordinal)))
                {
                    var binding = secret.Binding;
                    var variable = "$" + binding.EnvironmentVariable;
                    if (!binding.Covers(host, port))
                        return Refuse($"secret {binding.Id} ({variable}) is not bound to {host}:{port}; its policy binding allows {string.Join(", ", binding.Hosts)}");
                    if (!string.Equals(name, binding.Header, StringComparison.OrdinalIgnoreCase))
                        return Refuse($"secret {binding.Id} ({variable}) may only be sent in the {binding.Header} header, not in {name}");
                    var trimmed = value.Trim();
                    if (trimmed != secret.Placeholder && trimmed != binding.Render(secret.Placeholder))
                        return Refuse($"the {binding.Header} header must be exactly {variable} or \"{binding.Render(variable)}\"");
                    if (values.Count > 1 || sets.Any(s => string.Equals(s.Header, name, StringComparison.OrdinalIgnoreCase)))
                        return Refuse($"the {binding.Header} header carrying {variable} must be sent once");
                    sets.Add((binding.Header, secret));
                }
            }
        }

        return new SecretHeaderPlan(sets, null);
    }

    private static SecretHeaderPlan Refuse(string message) =>
        new([], new GatewayRefusal(403, ErrorCode.SecretScopeViolation, message, "secrets"));
}

/// <summary>The headers the upstream request gets a secret in, or why the request is refused.</summary>
internal sealed record SecretHeaderPlan(IReadOnlyList<(string Header, SandboxSecret Secret)> Sets, GatewayRefusal? Refusal);
