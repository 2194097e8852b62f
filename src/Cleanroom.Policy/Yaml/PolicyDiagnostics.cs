using Cleanroom.Errors;

namespace Cleanroom.Policy.Yaml;

/// <summary>
/// Collects every error and warning of one compilation. Validation never stops at the first problem:
/// a user fixing a policy wants the whole list in one run.
/// </summary>
internal sealed class PolicyDiagnostics
{
    private readonly List<PolicyError> _errors = [];
    private readonly List<string> _warnings = [];

    public bool HasErrors => _errors.Count > 0;

    public int ErrorCount => _errors.Count;

    public void Invalid(string path, SourcePosition at, string message) =>
        _errors.Add(new PolicyError(ErrorCode.PolicyInvalid, path, at.Line, at.Column, message));

    public void Invalid(string path, SourceNode at, string message) => Invalid(path, at.Position, message);

    public void Conflict(string path, SourcePosition at, string message) =>
        _errors.Add(new PolicyError(ErrorCode.PolicyConflict, path, at.Line, at.Column, message));

    public void Warn(string message) => _warnings.Add(message);

    /// <summary>Errors in the order they appear in the file, so the list reads top to bottom.</summary>
    public IReadOnlyList<PolicyError> Errors() =>
        _errors.Select((error, index) => (error, index))
            .OrderBy(e => e.error.Line).ThenBy(e => e.error.Column).ThenBy(e => e.index)
            .Select(e => e.error).ToArray();

    public IReadOnlyList<string> Warnings() => _warnings.ToArray();
}
