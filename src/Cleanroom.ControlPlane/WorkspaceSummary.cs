namespace Cleanroom.ControlPlane;

/// <summary>The part of a sandbox's workspace record shown with the sandbox: where it is and what it came from.</summary>
public sealed record WorkspaceSummary(string GuestPath, string Commit, string CheckoutPath);
