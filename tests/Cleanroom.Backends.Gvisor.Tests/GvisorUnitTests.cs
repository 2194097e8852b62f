using Cleanroom.Backends.AgentBased;
using Cleanroom.Backends.Conformance;
using System.Text.Json;
using Cleanroom.Errors;
using Cleanroom.Images;

namespace Cleanroom.Backends.Gvisor.Tests;

/// <summary>The pure parts: settings, image defaults, the OCI spec, names. No runsc needed.</summary>
public sealed class GvisorUnitTests
{
    [Fact]
    public void Settings_come_from_the_runtime_config_section_with_defaults_for_what_is_absent()
    {
        var settings = GvisorSettings.From(new Dictionary<string, string> { ["platform"] = "kvm", ["pids_limit"] = "99" });
        Assert.Equal(new GvisorSettings { RunscPath = "runsc", Platform = PlatformChoice.Kvm, PidsLimit = 99 }, settings);
        Assert.Equal(GvisorSettings.Default, GvisorSettings.From(new Dictionary<string, string>()));
        Assert.Equal(PlatformChoice.Auto, GvisorSettings.Default.Platform);
        Assert.Equal(PlatformChoice.Ptrace, GvisorSettings.From(new Dictionary<string, string> { ["platform"] = "ptrace" }).Platform);
        Assert.Equal("config_invalid", Assert.Throws<CleanroomException>(() => GvisorSettings.From(new Dictionary<string, string> { ["pids_limit"] = "-1" })).Code);
        Assert.Equal("config_invalid", Assert.Throws<CleanroomException>(() => GvisorSettings.From(new Dictionary<string, string> { ["platform"] = "fast" })).Code);
    }

    [Fact]
    public void A_sandbox_section_overrides_pids_but_never_the_runsc_binary_or_the_hosts_platform()
    {
        var section = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["runsc_path"] = "/evil/runsc", ["platform"] = "kvm", ["pids_limit"] = "7" });
        var settings = GvisorSettings.Default.WithSandboxSection(section);
        Assert.Equal("runsc", settings.RunscPath);
        Assert.Equal(PlatformChoice.Auto, settings.Platform);
        Assert.Equal(7, settings.PidsLimit);
    }

    [Fact]
    public void Image_env_comes_first_and_request_env_replaces_by_name()
    {
        var env = ImageDefaults.MergeEnvironment(["PATH=/bin", "A=image", "B=image"], [new("A", "request"), new("C", "new")]);
        Assert.Equal(["PATH=/bin", "A=request", "B=image", "C=new"], env.Select(p => $"{p.Key}={p.Value}"));
    }

    [Fact]
    public void Entrypoint_and_cmd_apply_only_when_the_argv_is_empty()
    {
        var image = new ImageConfig { Entrypoint = ["/entry"], Cmd = ["--flag"], WorkingDir = "/work", User = "app" };
        Assert.Equal(["/entry", "--flag"], ImageDefaults.Apply(image, new ExecutionSpec { Argv = [] }, ttySupported: true).Argv);
        var given = ImageDefaults.Apply(image, new ExecutionSpec { Argv = ["ls"], Cwd = "/tmp", User = "root" }, ttySupported: true);
        Assert.Equal(["ls"], given.Argv);
        Assert.Equal("/tmp", given.WorkingDirectory);
        Assert.Equal("root", given.User);
        var defaults = ImageDefaults.Apply(image, new ExecutionSpec { Argv = ["ls"] }, ttySupported: true);
        Assert.Equal(("/work", "app"), (defaults.WorkingDirectory, defaults.User));
        Assert.Throws<CleanroomException>(() => ImageDefaults.Apply(new ImageConfig { Cmd = [] }, new ExecutionSpec { Argv = [] }, ttySupported: true));
    }

    [Fact]
    public void The_oci_spec_runs_the_agent_as_pid_1_with_limits_the_agent_mounted_read_only_and_its_channel_shared()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cr-gv-unit-").FullName, "config.json");
        OciBundle.Write(path, new OciBundleSpec("/rootfs", new StagedAgent("/agent").GuestArgv, "/agent", "/run/x/channel", "cleanroom", "/cleanroom/cleanroom-x", 512L << 20, 2, 4096));
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        Assert.Equal(["/.cleanroom/lib/ld-linux-x86-64.so.2", "--library-path", "/.cleanroom/lib", "/.cleanroom/cleanroom-agent", "--listen", "/.cleanroom-channel/agent.sock"],
            root.GetProperty("process").GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.True(root.GetProperty("process").GetProperty("noNewPrivileges").GetBoolean());
        var resources = root.GetProperty("linux").GetProperty("resources");
        Assert.Equal(512L << 20, resources.GetProperty("memory").GetProperty("limit").GetInt64());
        Assert.Equal(200000, resources.GetProperty("cpu").GetProperty("quota").GetInt64());
        Assert.Equal(4096, resources.GetProperty("pids").GetProperty("limit").GetInt32());
        var agentMount = root.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == "/.cleanroom");
        Assert.Contains("ro", agentMount.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        var channel = root.GetProperty("mounts").EnumerateArray().Single(m => m.GetProperty("destination").GetString() == "/.cleanroom-channel");
        Assert.Equal("/run/x/channel", channel.GetProperty("source").GetString());
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }

    [Fact]
    public void Only_a_sandbox_that_requires_docker_gets_the_capabilities_dockerd_and_runc_need()
    {
        var directory = Directory.CreateTempSubdirectory("cr-gv-unit-").FullName;
        string[] Bounding(bool docker)
        {
            var path = Path.Combine(directory, $"config-{docker}.json");
            OciBundle.Write(path, new OciBundleSpec("/rootfs", new StagedAgent("/agent").GuestArgv, "/agent", "/run/x/channel", "cleanroom", "/cleanroom/cleanroom-x", 512L << 20, 2, 4096, Docker: docker));
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            return [.. json.RootElement.GetProperty("process").GetProperty("capabilities").GetProperty("bounding").EnumerateArray().Select(c => c.GetString()!)];
        }

        var plain = Bounding(docker: false);
        var docker = Bounding(docker: true);

        Assert.DoesNotContain("CAP_SYS_ADMIN", plain);
        Assert.DoesNotContain("CAP_NET_ADMIN", plain);
        Assert.Contains("CAP_SYS_ADMIN", docker);
        Assert.Contains("CAP_NET_ADMIN", docker);
        Assert.Superset(plain.ToHashSet(), docker.ToHashSet());
        Assert.True(GvisorCapabilities.Map.Supports(CapabilityNames.Docker));
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-leading-dash")]
    public void A_sandbox_id_that_cannot_be_a_container_name_or_path_is_refused(string id)
    {
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<CleanroomException>(() => SandboxLayout.For("/run/x", id)).Code);
    }

    [Fact]
    public void Only_prefixed_names_are_recognised_as_ours()
    {
        Assert.Equal("abc", SandboxLayout.SandboxIdOf("cleanroom-abc"));
        Assert.Null(SandboxLayout.SandboxIdOf("someone-else"));
        Assert.Null(SandboxLayout.SandboxIdOf("cleanroom-"));
    }

    [Fact]
    public void Capabilities_claim_no_egress_enforcement_but_deny_by_default()
    {
        var capabilities = GvisorCapabilities.Map;
        Assert.Equal("user-space-kernel", capabilities.ValueOf(CapabilityNames.Isolation));
        Assert.True(capabilities.Supports(CapabilityNames.NetworkDefaultDeny));
        Assert.False(capabilities.Supports(CapabilityNames.NetworkEgressAllowlist));
        Assert.False(capabilities.Supports(CapabilityNames.NetworkDnsPolicy));
        Assert.True(capabilities.Supports(CapabilityNames.PersistentSandboxes));
        Assert.True(capabilities.Supports(CapabilityNames.FileDownload));
    }
}
