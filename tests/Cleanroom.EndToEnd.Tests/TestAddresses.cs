namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// The addresses of the hosts end-to-end tests make for themselves, in a /24 of 198.19.0.0/16 drawn once per test run,
/// so two runs of the suite on one host (CI beside a colleague's run) never answer for each other, as fixed addresses
/// did. Within a run the tests are sequential, so one /24 serves every fixture.
/// </summary>
internal static class TestAddresses
{
    private static readonly int ThirdOctet = Random.Shared.Next(256);

    /// <summary>The <paramref name="last"/>th address of this run's /24.</summary>
    public static string At(int last) => $"198.19.{ThirdOctet}.{last}";
}
