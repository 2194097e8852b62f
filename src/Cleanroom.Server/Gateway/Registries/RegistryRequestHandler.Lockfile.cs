using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Gateway.Registries;

/// <summary>
/// npm lockfile enforcement (policy <c>registries.npm.lockfile_enforcement</c>): a tarball is a download of
/// <c>NAME@VERSION</c> (the version whose <c>dist.tarball</c> it is), which the lockfile compiled into the caller's policy
/// must name. Otherwise <c>deny_unknown</c> refuses it (<c>403 lockfile_violation</c>, a deny event) and <c>warn</c> serves
/// it with a warning event and the reason <c>lockfile_violation</c> on its allow event. Package documents are not
/// downloads of code and are served either way (npm reads them to resolve versions).
/// </summary>
internal sealed partial class RegistryRequestHandler
{
    private void CheckLockfile(RegistryRequest request, string name, string version)
    {
        if (request.Caller.NpmLockfile is not { } lockfile || lockfile.Names(name, version))
            return;
        var message = $"{name}@{version} is not named by the policy's lockfile {lockfile.Lockfile}";
        if (lockfile.Denies)
            throw new RegistryRefusal(403, ErrorCode.LockfileViolation, $"{message} (registries.npm.lockfile_enforcement.mode: deny_unknown)");
        logger.LogWarning("gateway: {Sandbox} npm {Name}@{Version}: not in the lockfile; served (warn mode)", request.Caller.SandboxId, name, version);
        audit.Warn(request.Caller, $"{ErrorCode.LockfileViolation}: {message}; served (registries.npm.lockfile_enforcement.mode: warn)");
        request.Reason = ErrorCode.LockfileViolation;
    }
}
