namespace Cleanroom.ControlPlane.Tests;

/// <summary>A fresh state directory per test, removed afterwards.</summary>
internal sealed class TestStateDirectory : IDisposable
{
    public TestStateDirectory()
    {
        // Its own directory straight under the temp root: removing it leaves nothing behind (no shared parent).
        Path = Directory.CreateTempSubdirectory("cleanroom-cp-test-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
