using Cleanroom.Policy.Rules;

namespace Cleanroom.Policy.Tests;

public sealed class HostNameTests
{
    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.Example.", "xn--bcher-kva.example")] // non-ASCII case folds before punycode
    [InlineData("XN--BCHER-KVA.example", "xn--bcher-kva.example")]
    [InlineData("例え.テスト", "xn--r8jz45g.xn--zckzah")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("[2001:db8::1]", "2001:db8::1")]
    [InlineData("::FFFF:192.0.2.1", "::ffff:192.0.2.1")]
    [InlineData("localhost", "localhost")]
    [InlineData("a-b.c1", "a-b.c1")]
    public void Normalizes_to_one_spelling(string raw, string expected)
    {
        Assert.Equal(expected, HostName.Normalize(raw, out var error));
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData(".", "is not a host name")]
    [InlineData("*.example.com", "wildcard")]
    [InlineData("10.0.0.0/8", "CIDR")]
    [InlineData("user@example.com", "user info")]
    [InlineData("https://example.com", "is a URL")]
    [InlineData("example.com:443", "includes a port")]
    [InlineData("example.com/path", "contains a path")]
    [InlineData("exa mple.com", "whitespace")]
    [InlineData("fe80::1%eth0", "zone ids")]
    [InlineData("1.2.3", "not a valid IPv4")]
    [InlineData("256.1.1.1", "not a valid IPv4")]
    [InlineData("2001:db8:::1", "not a valid IPv6")]
    [InlineData("exa_mple.com", "only letters, digits and hyphens")]
    [InlineData("example-.com", "hyphen")]
    [InlineData("a..b", "empty label")]
    [InlineData("xn--zz.example", "not valid punycode")]
    public void Rejects_what_is_not_exactly_one_host(string raw, string message)
    {
        Assert.Null(HostName.Normalize(raw, out var error));
        Assert.Contains(message, error);
    }

    [Fact]
    public void Label_and_name_length_limits_follow_dns()
    {
        Assert.NotNull(HostName.Normalize(new string('a', 63) + ".com", out _));
        Assert.Null(HostName.Normalize(new string('a', 64) + ".com", out _));
        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61); // 253
        Assert.NotNull(HostName.Normalize(longest, out _));
        Assert.Null(HostName.Normalize(longest + "b", out _));
    }
}
