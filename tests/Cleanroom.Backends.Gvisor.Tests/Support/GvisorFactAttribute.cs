using Cleanroom.Backends.Conformance;

namespace Cleanroom.Backends.Gvisor.Tests.Support;

/// <summary>
/// A fact that runs real runsc. xunit 2 decides skips at discovery, so the requirement is checked here and
/// the reason set as Skip, which the runner prints. CI installs runsc, so there nothing skips.
/// </summary>
public sealed class GvisorFactAttribute : FactAttribute
{
    public GvisorFactAttribute()
    {
        if (GvisorRequirements.Missing() is { } reason)
            Skip = reason;
    }
}

/// <summary>The theory form of <see cref="GvisorFactAttribute"/>.</summary>
public sealed class GvisorTheoryAttribute : TheoryAttribute
{
    public GvisorTheoryAttribute()
    {
        if (GvisorRequirements.Missing() is { } reason)
            Skip = reason;
    }
}
