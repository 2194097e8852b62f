using Cleanroom.Api.Addressing;
using Cleanroom.Errors;

namespace Cleanroom.Api.Tests;

/// <summary>Address strings and the one rule for the default socket, shared by server and client.</summary>
public sealed class AddressTests
{
    [Theory]
    [InlineData("unix:///run/cleanroom/cleanroom.sock", "/run/cleanroom/cleanroom.sock")]
    [InlineData("unix:/tmp/x.sock", "/tmp/x.sock")]
    public void Unix_addresses_parse_to_absolute_paths(string text, string path) =>
        Assert.Equal(new UnixApiAddress(path), ApiAddress.Parse(text));

    [Theory]
    [InlineData("http://127.0.0.1:7777", "127.0.0.1", 7777, true)]
    [InlineData("http://localhost:80", "localhost", 80, true)]
    [InlineData("http://[::1]:9", "::1", 9, true)]
    [InlineData("http://10.0.0.1:7777", "10.0.0.1", 7777, false)]
    public void Http_addresses_parse_with_loopback_known(string text, string host, int port, bool loopback)
    {
        var address = Assert.IsType<HttpApiAddress>(ApiAddress.Parse(text));
        Assert.Equal((host, port, loopback), (address.Host, address.Port, address.IsLoopback));
    }

    [Theory]
    [InlineData("https://0.0.0.0:7777", "0.0.0.0", 7777, false)]
    [InlineData("https://localhost:8443", "localhost", 8443, true)]
    public void Https_addresses_parse_and_print_as_they_were_given(string text, string host, int port, bool loopback)
    {
        var address = Assert.IsType<HttpsApiAddress>(ApiAddress.Parse(text));
        Assert.Equal((host, port, loopback), (address.Host, address.Port, address.IsLoopback));
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("unix://relative/path.sock")]
    [InlineData("http://127.0.0.1:7777/api")]
    [InlineData("https://127.0.0.1:7777/api")]
    [InlineData("ftp://127.0.0.1:7777")]
    [InlineData("127.0.0.1:7777")]
    public void Malformed_addresses_are_invalid_argument(string text)
    {
        var ex = Assert.Throws<CleanroomException>(() => ApiAddress.Parse(text));
        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public void Default_socket_is_under_XDG_RUNTIME_DIR_when_set() =>
        Assert.Equal("/run/user/1000/cleanroom/cleanroom.sock",
            DefaultApiAddress.SocketFor(Env(("XDG_RUNTIME_DIR", "/run/user/1000")), 1000).Path);

    [Fact]
    public void Default_socket_for_root_without_XDG_RUNTIME_DIR_is_under_run() =>
        Assert.Equal("/run/cleanroom/cleanroom.sock", DefaultApiAddress.SocketFor(Env(), 0).Path);

    [Fact]
    public void Default_socket_for_a_user_without_XDG_RUNTIME_DIR_is_a_per_uid_tmp_directory() =>
        Assert.Equal("/tmp/cleanroom-1234/cleanroom.sock", DefaultApiAddress.SocketFor(Env(), 1234).Path);

    [Fact]
    public void Client_prefers_the_host_flag_then_CLEANROOM_HOST_then_the_default()
    {
        var env = Env(("CLEANROOM_HOST", "http://127.0.0.1:9999"), ("XDG_RUNTIME_DIR", "/run/user/5"));

        Assert.Equal(new UnixApiAddress("/x.sock"), DefaultApiAddress.ForClient("unix:///x.sock", env));
        Assert.Equal(new HttpApiAddress("127.0.0.1", 9999), DefaultApiAddress.ForClient(null, env));
        Assert.Equal(new UnixApiAddress("/run/user/5/cleanroom/cleanroom.sock"),
            DefaultApiAddress.ForClient(null, Env(("XDG_RUNTIME_DIR", "/run/user/5"))));
    }

    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;
}
