using Cleanroom.Backends.Conformance;
using Cleanroom.Backends.Qemu.Tests.Support;

namespace Cleanroom.Backends.Qemu.Tests;

/// <summary>The conformance suite against real QEMU (emulated with TCG), one microVM per sandbox.</summary>
[Collection(QemuCollection.Name)]
[BackendRequirements(typeof(QemuRequirements))]
public sealed class QemuConformanceTests(QemuAssets assets) : BackendConformanceTests
{
    private readonly QemuTestHost _host = new(assets);
    private QemuBackend? _backend;

    protected override ISandboxBackend Backend => _backend ??= _host.Backend();

    protected override SandboxSpec NewSpec() => _host.Spec();

    protected override Task AssertNothingRemainsAsync(string sandboxId) => _host.AssertNothingRemainsAsync(sandboxId);
}
