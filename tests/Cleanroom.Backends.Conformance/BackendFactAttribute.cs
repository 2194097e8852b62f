using Xunit.Abstractions;
using Xunit.Sdk;

namespace Cleanroom.Backends.Conformance;

/// <summary>
/// What a backend's tests need from the host (root, a binary, a kernel). Named on the derived test class with
/// <see cref="BackendRequirementsAttribute"/>, so one shared test method skips for the right reason per backend.
/// </summary>
public interface IBackendRequirements
{
    /// <summary>Null when the host can run the backend's tests; otherwise why not (printed as the skip reason).</summary>
    string? Missing();
}

[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class BackendRequirementsAttribute(Type requirements) : Attribute
{
    public Type Requirements { get; } = requirements;

    /// <summary>The skip reason for tests of <paramref name="testClass"/>, or null to run them.</summary>
    public static string? MissingFor(Type testClass)
    {
        var attribute = (BackendRequirementsAttribute?)GetCustomAttribute(testClass, typeof(BackendRequirementsAttribute), inherit: true);
        if (attribute is null)
            return null;
        return ((IBackendRequirements)Activator.CreateInstance(attribute.Requirements)!).Missing();
    }
}

/// <summary>
/// A conformance fact. xunit 2 decides skips at discovery and a plain fact cannot know which backend's class it
/// runs in, so the discoverer asks the concrete class's <see cref="BackendRequirementsAttribute"/>.
/// </summary>
[XunitTestCaseDiscoverer("Cleanroom.Backends.Conformance.BackendFactDiscoverer", "Cleanroom.Backends.Conformance")]
public sealed class BackendFactAttribute : FactAttribute;

/// <summary>The theory form of <see cref="BackendFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Cleanroom.Backends.Conformance.BackendTheoryDiscoverer", "Cleanroom.Backends.Conformance")]
public sealed class BackendTheoryAttribute : TheoryAttribute;

public sealed class BackendFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        Skipped.Reason(testMethod) is { } reason ? [Skipped.Case(DiagnosticMessageSink, options, testMethod, reason)] : base.Discover(options, testMethod, factAttribute);
}

public sealed class BackendTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        Skipped.Reason(testMethod) is { } reason ? [Skipped.Case(DiagnosticMessageSink, options, testMethod, reason)] : base.Discover(options, testMethod, theoryAttribute);
}

internal static class Skipped
{
    public static string? Reason(ITestMethod testMethod) =>
        BackendRequirementsAttribute.MissingFor(testMethod.TestClass.Class.ToRuntimeType());

    public static IXunitTestCase Case(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod testMethod, string reason) =>
        new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), testMethod, reason);
}
