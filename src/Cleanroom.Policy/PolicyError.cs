using System.Text.Json.Nodes;

namespace Cleanroom.Policy;

/// <summary>
/// One problem in a policy file: a stable <see cref="Code"/> (policy_invalid or policy_conflict), the YAML
/// path such as <c>sandbox.network.allow[1].ports[0]</c>, a 1-based line and column, and what to fix.
/// </summary>
public sealed record PolicyError(string Code, string Path, int Line, int Column, string Message)
{
    /// <summary>The object the CLI prints in its <c>errors</c> array.</summary>
    public JsonObject ToJson() => new()
    {
        ["code"] = Code,
        ["path"] = Path,
        ["line"] = Line,
        ["column"] = Column,
        ["message"] = Message,
    };

    public override string ToString() => $"{Line}:{Column} {Path}: {Message} ({Code})";
}
