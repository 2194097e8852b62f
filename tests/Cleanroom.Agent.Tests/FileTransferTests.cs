using Cleanroom.Agent.Client;
using Cleanroom.Agent.Protocol;
using Cleanroom.Agent.Tests.Support;
using Cleanroom.Errors;

namespace Cleanroom.Agent.Tests;

public class FileTransferTests : AgentTestBase
{
    protected override AgentConnectionOptions? Options => new() { OutputWindow = 128 * 1024 };

    [Fact]
    public async Task Written_file_reads_back_identical_with_the_requested_mode()
    {
        var content = new byte[1024 * 1024 + 123]; // several chunks and several credit windows
        new Random(3).NextBytes(content);
        var path = Path.Combine(TempDirectory, "payload.bin");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead;

        var written = await Agent.WriteFileAsync(path, new MemoryStream(content), mode, Deadline);
        await using var stream = await Agent.ReadFileAsync(path, Deadline);
        var readBack = new MemoryStream();
        await stream.CopyToAsync(readBack, Deadline);

        Assert.Equal(content.Length, written);
        Assert.Equal(content, readBack.ToArray());
        Assert.Equal(mode, File.GetUnixFileMode(path));
        Assert.Equal(["payload.bin"], Directory.GetFiles(TempDirectory).Select(Path.GetFileName)); // no temporary left behind
    }

    [Fact]
    public async Task Writing_replaces_an_existing_file()
    {
        var path = Path.Combine(TempDirectory, "config");
        await File.WriteAllTextAsync(path, "old content that is longer");

        await Agent.WriteFileAsync(path, new MemoryStream("new"u8.ToArray()), (UnixFileMode)0x1a4, Deadline);

        Assert.Equal("new", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Empty_file_round_trips()
    {
        var path = Path.Combine(TempDirectory, "empty");

        await Agent.WriteFileAsync(path, new MemoryStream(), (UnixFileMode)0x1a4, Deadline);
        await using var stream = await Agent.ReadFileAsync(path, Deadline);

        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public async Task Reading_a_missing_file_fails_with_not_found()
    {
        var error = await Assert.ThrowsAsync<AgentException>(() => Agent.ReadFileAsync(Path.Combine(TempDirectory, "missing"), Deadline));

        Assert.Equal(ErrorCode.NotFound, error.Code);
        Assert.Equal(AgentErrorCodes.FileNotFound, error.AgentCode);
    }

    [Fact]
    public async Task Relative_paths_are_refused()
    {
        var read = await Assert.ThrowsAsync<AgentException>(() => Agent.ReadFileAsync("etc/passwd", Deadline));
        var write = await Assert.ThrowsAsync<AgentException>(() => Agent.WriteFileAsync("relative.txt", new MemoryStream([1]), (UnixFileMode)0x1a4, Deadline));

        Assert.Equal(AgentErrorCodes.InvalidPath, read.AgentCode);
        Assert.Equal(AgentErrorCodes.InvalidPath, write.AgentCode);
    }

    [Fact]
    public async Task Writing_into_a_missing_directory_fails_and_the_connection_stays_usable()
    {
        var error = await Assert.ThrowsAsync<AgentException>(() =>
            Agent.WriteFileAsync(Path.Combine(TempDirectory, "no", "such", "dir"), new MemoryStream(new byte[200_000]), (UnixFileMode)0x1a4, Deadline));

        Assert.Equal(AgentErrorCodes.FileNotFound, error.AgentCode);
        await Agent.PingAsync(Deadline);
    }
}
