using Cleanroom.Backends.Conformance;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>What the gVisor tests need from the host; also names the skip reason of the shared conformance cases.</summary>
public sealed class GvisorRequirements : IBackendRequirements
{
    string? IBackendRequirements.Missing() => Missing();

    public static string? Missing()
    {
        if (!Environment.IsPrivilegedProcess)
            return "needs root: runsc creates namespaces and cgroups";
        if (RepositoryPaths.FindOnPath("runsc") is null)
            return "runsc is not installed (apt-get install runsc)";
        return null;
    }
}
