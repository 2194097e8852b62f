using System.Security.Cryptography;
using Cleanroom.Agent.Files;

namespace Cleanroom.Agent.Tests;

public class Sha1Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(119)]
    [InlineData(120)]
    [InlineData(100_003)]
    public void The_agents_sha1_matches_the_platforms_at_every_padding_boundary(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var sha = new Sha1();
        // Fed in uneven pieces, as file reads deliver it.
        for (var offset = 0; offset < length; offset += 37)
            sha.Append(data.AsSpan(offset, Math.Min(37, length - offset)));

        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(data)), sha.FinishHex());
    }
}
