namespace Cleanroom.Errors;

/// <summary>
/// The stable error codes of Cleanroom. Programs act on these strings, so they never change meaning;
/// they are mapped once, at the API edge, to gRPC/Connect errors, and printed by the CLI with a next step.
/// </summary>
public static class ErrorCode
{
    public const string PolicyInvalid = "policy_invalid";
    public const string PolicyConflict = "policy_conflict";
    public const string PolicyNotFound = "policy_not_found";
    public const string ConfigInvalid = "config_invalid";
    public const string BackendUnavailable = "backend_unavailable";
    public const string BackendCapabilityMismatch = "backend_capability_mismatch";
    public const string HostNotAllowed = "host_not_allowed";
    /// <summary>A <c>sandbox.dependencies</c> block exited non-zero at create: the sandbox failed and was removed.</summary>
    public const string DependencyFailed = "dependency_failed";
    /// <summary>A <c>sandbox.services</c> block exited non-zero at create: the sandbox failed and was removed.</summary>
    public const string ServiceFailed = "service_failed";
    /// <summary>
    /// The policy requires Docker (<c>docker.required</c>) and the sandbox's image has no dockerd or docker CLI, or
    /// dockerd did not come up: the sandbox failed and was removed.
    /// </summary>
    public const string DockerUnavailable = "docker_unavailable";
    /// <summary>The policy's <c>sandbox.run.before</c> exited non-zero: the execution's own command was not started.</summary>
    public const string RunBeforeFailed = "run_before_failed";
    /// <summary>A sandbox created with workspace_follows did not get CompleteWorkspace in time: its setup never ran.</summary>
    public const string WorkspaceIncomplete = "workspace_incomplete";
    /// <summary>A server-side repository checkout (<c>--repo-url</c>) could not be fetched, or its commit or ref is not there.</summary>
    public const string RepositoryCheckoutFailed = "repository_checkout_failed";
    /// <summary>
    /// A gateway registry request for a registry the runtime config's <c>registries:</c> does not name, or whose host and
    /// port the sandbox's active stage does not allow (or a package file on a host it does not allow).
    /// </summary>
    public const string RegistryNotAllowed = "registry_not_allowed";
    /// <summary>
    /// A package's bytes from the upstream do not match the digest its registry's metadata names (npm <c>dist.integrity</c>
    /// or <c>shasum</c>, PyPI's <c>#sha256=</c>): refused, and nothing is cached.
    /// </summary>
    public const string RegistryIntegrityMismatch = "registry_integrity_mismatch";
    /// <summary>
    /// An npm tarball that the policy's lockfile (<c>registries.npm.lockfile_enforcement</c>) does not name: refused in
    /// <c>deny_unknown</c> mode, served with a warning event in <c>warn</c> mode.
    /// </summary>
    public const string LockfileViolation = "lockfile_violation";
    public const string SecretScopeViolation = "secret_scope_violation";
    public const string RuntimeLaunchFailed = "runtime_launch_failed";
    public const string NotFound = "not_found";
    public const string InvalidArgument = "invalid_argument";
    public const string LayerUnsafe = "layer_unsafe";
    public const string ImageInUse = "image_in_use";
    public const string ImageInvalid = "image_invalid";
    public const string NetworkSetupFailed = "network_setup_failed";
    public const string RegistryUnreachable = "registry_unreachable";
    public const string RegistryAuthFailed = "registry_auth_failed";
    public const string DigestMismatch = "digest_mismatch";
    public const string PlatformNotFound = "platform_not_found";
    public const string TooLarge = "too_large";
    public const string PathUnsafe = "path_unsafe";
    public const string WorkspaceConflict = "workspace_conflict";
    /// <summary>An ensure key names a live sandbox whose policy (hash or allow-all flag) or backend differs from the request's.</summary>
    public const string EnsureKeyConflict = "ensure_key_conflict";
    public const string CheckoutMoved = "checkout_moved";
    public const string NotAGitCheckout = "not_a_git_checkout";
    /// <summary>The registry does not have the image (repository, tag, digest or one of its blobs).</summary>
    public const string ImageNotFound = "image_not_found";
    /// <summary>Another session already writes this execution's stdin; attach without stdin to watch it.</summary>
    public const string StdinAttached = "stdin_attached";
    /// <summary>The host address and port an exposure asked for is taken (or not ours to bind); nothing was made.</summary>
    public const string PortInUse = "port_in_use";
    /// <summary>An HTTPS route host is already served for another sandbox.</summary>
    public const string RouteInUse = "route_in_use";
    /// <summary>Nothing in the sandbox listens on the port a connection was made to.</summary>
    public const string ConnectionRefused = "connection_refused";
    /// <summary>
    /// The sandbox's disk limit cannot be enforced on this host (no loop devices, no mount, or too little free space for
    /// even a small one), so the sandbox is not started; the message says which and what to fix.
    /// </summary>
    public const string DiskLimitUnavailable = "disk_limit_unavailable";
    /// <summary>The host gateway cannot serve a sandbox (its listener on the sandbox's link could not be made); the sandbox is not started.</summary>
    public const string GatewayUnavailable = "gateway_unavailable";
    /// <summary>A gateway request's path leaves its route after canonicalisation (dot segments, encoded slashes, empty segments).</summary>
    public const string GatewayPathUnsafe = "gateway_path_unsafe";
    /// <summary>A gateway request in absolute, authority or asterisk form: the gateway is not a proxy and takes origin-form paths only.</summary>
    public const string GatewayTargetRefused = "gateway_target_refused";
    /// <summary>CONNECT (or another method the route does not serve) sent to the gateway.</summary>
    public const string GatewayMethodRefused = "gateway_method_refused";
    /// <summary>The Host header is not the gateway's own address on the caller's link.</summary>
    public const string GatewayHostMismatch = "gateway_host_mismatch";
    /// <summary>A request header carries CR, LF or NUL.</summary>
    public const string GatewayHeaderInvalid = "gateway_header_invalid";
    /// <summary>The connection does not come from a live sandbox's own link address: only sandboxes may use the gateway.</summary>
    public const string GatewayCallerUnknown = "gateway_caller_unknown";
    /// <summary>No gateway route serves the path (only <c>/meta/</c> and git smart-HTTP under <c>/git/HOST/</c>).</summary>
    public const string GatewayRouteUnknown = "gateway_route_unknown";
    /// <summary>The runtime config names a credential for the host, but it cannot be read now; nothing is sent upstream without it.</summary>
    public const string GatewayCredentialUnavailable = "gateway_credential_unavailable";
    /// <summary>
    /// A repository the runtime config's GitHub App covers, but no installation token could be minted (key unreadable,
    /// the API refused or did not answer); nothing is sent upstream without it.
    /// </summary>
    public const string GitHubAppTokenFailed = "github_app_token_failed";
    /// <summary>The git credential helper configured for the host failed, timed out or answered no password; nothing is sent upstream without it.</summary>
    public const string CredentialHelperFailed = "credential_helper_failed";
    /// <summary>The gateway could not reach the upstream host, or its address is one the gateway never connects to.</summary>
    public const string GatewayUpstreamFailed = "gateway_upstream_failed";
    /// <summary>
    /// A policy binds a secret the server's runtime config does not hold (or cannot read now): the sandbox is not created.
    /// At request time, a bound secret that cannot be read fails the request; nothing is sent without it.
    /// </summary>
    public const string SecretUnavailable = "secret_unavailable";
    /// <summary>
    /// The call carries no valid identity where one is required (<c>auth.required</c>), or it presents a credential
    /// that fails (a bad, expired or unknown token; a bearer token over plain HTTP off loopback). Never says which
    /// tokens the server knows.
    /// </summary>
    public const string Unauthenticated = "unauthenticated";
    /// <summary>
    /// The caller is known but the call is for admins only (on a server with <c>auth.required</c>: the host's storage,
    /// <c>system df</c> and <c>system prune</c>, which span every principal's sandboxes).
    /// </summary>
    public const string AdminRequired = "admin_required";
    /// <summary>
    /// The runtime config's claims policy (<c>auth.policy</c>) refuses the call: no rule matches the caller, a rule
    /// denies it, or the sandbox asks for a backend, an image or <c>--dangerously-allow-all</c> its rule does not grant.
    /// </summary>
    public const string AccessDenied = "access_denied";
    /// <summary>
    /// A <c>cleanroom daemon</c> verb needs systemd (the service's state, journal or restart) and systemd is not the
    /// init system here, or <c>systemctl</c>/<c>journalctl</c> failed.
    /// </summary>
    public const string SystemdUnavailable = "systemd_unavailable";
    /// <summary>
    /// A sandbox could not be suspended: commands are still running in it, its backend or its network mode cannot
    /// checkpoint it, or the checkpoint failed. A sandbox whose agent answered again stays READY; the message says which.
    /// </summary>
    public const string SuspendFailed = "suspend_failed";
    /// <summary>
    /// A SUSPENDED sandbox could not be woken (restored from its checkpoint): it is FAILED with the reason, and its
    /// checkpoint is kept on the host for inspection until the sandbox's records go.
    /// </summary>
    public const string WakeFailed = "wake_failed";
    /// <summary>
    /// A snapshot could not be started from: its checkpoint is missing, unreadable or corrupted (runsc refused to
    /// restore it). The new sandbox is not made and nothing else is touched; the snapshot stays for inspection.
    /// </summary>
    public const string SnapshotCorrupt = "snapshot_corrupt";
    /// <summary>
    /// A sandbox was asked to start from a snapshot taken under another policy (its policy hash differs from the
    /// request's): refused, since a snapshot must never carry a sandbox past the egress its own policy allows.
    /// </summary>
    public const string SnapshotPolicyMismatch = "snapshot_policy_mismatch";
}
