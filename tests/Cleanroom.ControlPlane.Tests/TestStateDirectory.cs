namespace Cleanroom.ControlPlane.Tests;

/// <summary>A fresh state directory per test, removed afterwards.</summary>
internal sealed class TestStateDirectory : IDisposable
{
    public TestStateDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cleanroom-cp-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}
