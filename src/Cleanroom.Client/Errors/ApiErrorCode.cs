namespace Cleanroom.Api.Errors;

/// <summary>
/// Stable codes that only the API layer produces, beside those in <see cref="Cleanroom.Errors.ErrorCode"/>.
/// They are strings a program can act on, like the others.
/// </summary>
public static class ApiErrorCode
{
    /// <summary>The client found no server on the address it tried.</summary>
    public const string ServerNotRunning = "server_not_running";

    /// <summary><c>cleanroom serve</c> found a live server already answering on its address.</summary>
    public const string ServerAlreadyRunning = "server_already_running";

    /// <summary>A bug on the server (an exception without a stable code); details are in the server log only.</summary>
    public const string Internal = "internal";

    /// <summary>The ErrorInfo domain that marks a reason as one of Cleanroom's stable codes.</summary>
    public const string Domain = "cleanroom.dev";
}
