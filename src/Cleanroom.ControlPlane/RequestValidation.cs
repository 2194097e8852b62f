using System.Text.RegularExpressions;
using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

/// <summary>Checks requests at the door, so that nothing malformed is ever stored or handed to a backend.</summary>
internal static partial class RequestValidation
{
    public static void Check(CreateSandboxRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Backend is not null && string.IsNullOrWhiteSpace(request.Backend))
            throw Invalid("backend name is empty; leave it unset to use the default backend");
        if (string.IsNullOrWhiteSpace(request.ImageRef) || !DigestPinned().IsMatch(request.ImageRef))
            throw Invalid($"image reference '{request.ImageRef}' is not digest-pinned (expected name@sha256:<64 hex digits>)");
        if (request.Policy is null || string.IsNullOrWhiteSpace(request.Policy.CanonicalJson) || string.IsNullOrWhiteSpace(request.Policy.Hash))
            throw Invalid("the compiled policy and its hash are required");
        if (request.Resources is { Vcpus: <= 0 } or { MemoryBytes: <= 0 } or { DiskBytes: <= 0 })
            throw Invalid("resource limits must be positive when set");
        if (request.Labels.Keys.Any(string.IsNullOrWhiteSpace))
            throw Invalid("label names must not be empty");
        if (request.Repository is not null && request.WorkspaceFollows)
            throw Invalid("a sandbox has one repository: a server-side checkout and a workspace that follows cannot both be asked for");
        if (request.Labels.Keys.FirstOrDefault(k => k.StartsWith(CreateSandboxRequest.ReservedLabelPrefix, StringComparison.Ordinal)) is { } reserved)
            throw Invalid($"label '{reserved}' is reserved: names under {CreateSandboxRequest.ReservedLabelPrefix} are set by the server (use ensure_key for {CreateSandboxRequest.EnsureKeyLabel})");
        if (request.EnsureKey is { } ensureKey && (ensureKey.Length is 0 or > 256 || ensureKey.Any(char.IsControl) || string.IsNullOrWhiteSpace(ensureKey)))
            throw Invalid("ensure key must be 1 to 256 characters without control characters, not blank");
    }

    public static void Check(CreateExecutionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Spec);
        var spec = request.Spec;
        // With a terminal, no command means the image's own command, else a shell (the backend decides: it knows the image).
        if (spec.Argv is null || (spec.Argv.Count == 0 && !spec.Tty) || (spec.Argv.Count > 0 && string.IsNullOrEmpty(spec.Argv[0])))
            throw Invalid("argv must name a program");
        if (spec.Argv.Any(a => a is null || a.Contains('\0')))
            throw Invalid("argv entries must not be null or contain NUL");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in spec.Env)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=') || name.Contains('\0') || value is null || value.Contains('\0'))
                throw Invalid($"environment variable '{name}' is malformed");
            if (!names.Add(name))
                throw Invalid($"environment variable '{name}' is given twice");
        }
        if (spec.Cwd is not null && !spec.Cwd.StartsWith('/'))
            throw Invalid($"working directory '{spec.Cwd}' must be an absolute guest path");
        if (spec.Timeout is { } timeout && timeout <= TimeSpan.Zero)
            throw Invalid("timeout must be positive when set");
    }

    public static void CheckGuestPath(string guestPath)
    {
        if (string.IsNullOrEmpty(guestPath) || !guestPath.StartsWith('/') || guestPath.Contains('\0'))
            throw Invalid($"'{guestPath}' is not an absolute guest path");
    }

    private static CleanroomException Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    [GeneratedRegex("^[^@\\s]+@sha256:[0-9a-f]{64}$")]
    private static partial Regex DigestPinned();
}
