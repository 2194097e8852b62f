using Cleanroom.Backends;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Tests;

public class CapabilityCheckTests
{
    private static SandboxSpec Spec(bool egressRules = false, bool allowAll = false, bool docker = false) => new()
    {
        SandboxId = "sb-test",
        ImageRef = "img@sha256:00",
        Policy = new SandboxPolicy("{}", "h", egressRules, docker),
        Network = new NetworkRequirements(egressRules, allowAll),
    };

    [Fact]
    public void Egress_allow_rules_need_the_allowlist_and_the_policy_resolver()
    {
        var caps = BackendCapabilities.None.With(CapabilityNames.NetworkDefaultDeny, true);
        Assert.Equal(
            [CapabilityNames.NetworkEgressAllowlist, CapabilityNames.NetworkDnsPolicy],
            CapabilityCheck.Missing(caps, Spec(egressRules: true)));
    }

    [Fact]
    public void Deny_all_policy_still_needs_default_deny()
    {
        Assert.Equal([CapabilityNames.NetworkDefaultDeny], CapabilityCheck.Missing(BackendCapabilities.None, Spec()));
    }

    [Fact]
    public void Allow_all_needs_no_network_capability()
    {
        Assert.Empty(CapabilityCheck.Missing(BackendCapabilities.None, Spec(egressRules: true, allowAll: true)));
    }

    [Fact]
    public void Docker_required_needs_the_docker_service()
    {
        var caps = BackendCapabilities.None.With(CapabilityNames.NetworkDefaultDeny, true);
        Assert.Equal([CapabilityNames.Docker], CapabilityCheck.Missing(caps, Spec(docker: true)));
    }

    [Fact]
    public void A_disk_size_in_the_policy_needs_a_backend_that_enforces_disk_limits()
    {
        var caps = BackendCapabilities.None.With(CapabilityNames.NetworkDefaultDeny, true);
        var withDisk = Spec() with { Resources = new SandboxResources(null, null, 1L << 30) };
        Assert.Equal([CapabilityNames.DiskLimit], CapabilityCheck.Missing(caps, withDisk));
        Assert.Empty(CapabilityCheck.Missing(caps.With(CapabilityNames.DiskLimit, true), withDisk));
        Assert.Empty(CapabilityCheck.Missing(caps, Spec()));
    }

    [Fact]
    public void A_capability_set_to_false_or_to_a_string_is_not_support()
    {
        var caps = BackendCapabilities.None.With(CapabilityNames.NetworkDefaultDeny, false);
        Assert.Equal([CapabilityNames.NetworkDefaultDeny], CapabilityCheck.Missing(caps, Spec()));
        Assert.False(BackendCapabilities.None.With(CapabilityNames.Docker, "yes").Supports(CapabilityNames.Docker));
    }

    [Fact]
    public void Mismatch_error_names_the_backend_and_every_missing_capability()
    {
        var ex = Assert.Throws<CleanroomException>(() => CapabilityCheck.EnsureSatisfied("gvisor", BackendCapabilities.None, Spec(egressRules: true, docker: true)));
        Assert.Equal(ErrorCode.BackendCapabilityMismatch, ex.Code);
        Assert.Contains("'gvisor'", ex.Message);
        foreach (var name in new[] { CapabilityNames.NetworkDefaultDeny, CapabilityNames.NetworkEgressAllowlist, CapabilityNames.NetworkDnsPolicy, CapabilityNames.Docker })
            Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void Capabilities_serialise_as_a_sorted_json_object_of_bools_and_strings()
    {
        var caps = BackendCapabilities.None
            .With(CapabilityNames.NetworkEgressAllowlist, true)
            .With(CapabilityNames.Isolation, CapabilityNames.IsolationVm)
            .With(CapabilityNames.Accelerated, false);
        Assert.Equal("""{"accelerated":false,"isolation":"vm","network.allowlist_egress":true}""", caps.ToJson());
        Assert.Equal("vm", caps.ValueOf(CapabilityNames.Isolation));
    }

    [Fact]
    public void Capability_values_other_than_bool_or_string_are_refused()
    {
        Assert.Throws<ArgumentException>(() => BackendCapabilities.From([new KeyValuePair<string, object>("vcpus", 4)]));
    }
}
