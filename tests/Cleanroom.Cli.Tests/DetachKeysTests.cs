using System.Text;
using Cleanroom.Cli.Terminal;
using Cleanroom.Errors;

namespace Cleanroom.Cli.Tests;

public sealed class DetachKeysTests
{
    [Fact]
    public void The_default_sequence_detaches_and_is_not_sent()
    {
        var keys = DetachKeys.Parse(null);

        var (forward, detach) = keys.Scan("ls\x10\x11"u8);

        Assert.True(detach);
        Assert.Equal("ls", Encoding.ASCII.GetString(forward));
    }

    [Fact]
    public void A_sequence_split_over_reads_still_detaches()
    {
        var keys = DetachKeys.Parse("ctrl-p,ctrl-q");

        var first = keys.Scan("a\x10"u8);
        var second = keys.Scan("\x11"u8);

        Assert.Equal(("a", false), (Encoding.ASCII.GetString(first.Forward), first.Detach));
        Assert.True(second.Detach);
        Assert.Empty(second.Forward);
    }

    [Fact]
    public void A_broken_sequence_is_sent_as_typed()
    {
        var keys = DetachKeys.Parse(null);

        var (forward, detach) = keys.Scan("\x10x\x10\x10y"u8);

        Assert.False(detach);
        Assert.Equal("\x10x\x10\x10y", Encoding.ASCII.GetString(forward));
    }

    [Fact]
    public void Custom_keys_with_letters_work()
    {
        var keys = DetachKeys.Parse("ctrl-a,d");

        Assert.False(keys.Scan("d\x01"u8).Detach);
        Assert.True(keys.Scan("d"u8).Detach);
    }

    [Theory]
    [InlineData("ctrl-")]
    [InlineData("ctrl-pq")]
    [InlineData("alt-x")]
    [InlineData("ctrl-p,,ctrl-q")]
    public void A_key_that_is_not_one_is_invalid_argument(string spec)
    {
        var error = Assert.Throws<CleanroomException>(() => DetachKeys.Parse(spec));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("--detach-keys", error.Message);
    }
}
