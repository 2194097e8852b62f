using Cleanroom.Api.Addressing;
using Cleanroom.Api.Errors;
using Cleanroom.Errors;

namespace Cleanroom.Client.Tests;

public class ErrorCodeTests
{
    [Fact]
    public async Task A_client_with_no_server_behind_its_socket_throws_server_not_running()
    {
        var dir = Directory.CreateTempSubdirectory("cleanroom-client-");
        try
        {
            using var client = new CleanroomClient(new CleanroomClientOptions { Address = new UnixApiAddress(Path.Combine(dir.FullName, "none.sock")) });

            var ex = await Assert.ThrowsAnyAsync<CleanroomException>(() => client.ListSandboxesAsync());

            Assert.Equal(ApiErrorCode.ServerNotRunning, ex.Code);
            Assert.IsType<ServerNotRunningException>(ex);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void FromEnvironment_reads_CLEANROOM_HOST_like_the_cli_and_refuses_a_bad_one_with_invalid_argument()
    {
        var before = Environment.GetEnvironmentVariable("CLEANROOM_HOST");
        try
        {
            Environment.SetEnvironmentVariable("CLEANROOM_HOST", "http://127.0.0.1:7777");
            using (var client = CleanroomClient.FromEnvironment())
                Assert.Equal(new HttpApiAddress("127.0.0.1", 7777), client.Address);

            Environment.SetEnvironmentVariable("CLEANROOM_HOST", null);
            using (var client = CleanroomClient.FromEnvironment())
                Assert.Equal(DefaultApiAddress.Socket(), client.Address);

            Environment.SetEnvironmentVariable("CLEANROOM_HOST", "ftp://somewhere");
            var ex = Assert.Throws<CleanroomException>(() => CleanroomClient.FromEnvironment());
            Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CLEANROOM_HOST", before);
        }
    }

    [Fact]
    public async Task A_blank_ensure_key_is_refused_before_any_call()
    {
        using var client = new CleanroomClient(new UnixApiAddress("/nonexistent/cleanroom.sock"));
        var policy = Client.Policy.FromAllowlist("cleanroom.local/debian:latest@sha256:" + new string('a', 64));

        var ex = await Assert.ThrowsAsync<CleanroomException>(() => client.EnsureSandboxAsync(" ", new SandboxOptions { Policy = policy }));

        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
    }
}
