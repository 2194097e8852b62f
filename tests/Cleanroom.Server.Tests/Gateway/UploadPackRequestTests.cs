using System.IO.Compression;
using System.Text;
using Cleanroom.Server.Gateway;

namespace Cleanroom.Server.Tests.Gateway;

public class UploadPackRequestTests
{
    private const string A = "1111111111111111111111111111111111111111";
    private const string B = "2222222222222222222222222222222222222222";

    private static string Pkt(string line) => $"{line.Length + 4:x4}{line}";

    [Fact]
    public void A_protocol_v0_fetch_names_its_wants_with_capabilities_on_the_first()
    {
        var body = Encoding.ASCII.GetBytes(Pkt($"want {A} multi_ack_detailed side-band-64k ofs-delta agent=git/2.39\n") + Pkt($"want {B}\n") + "0000" + Pkt("done\n"));

        var request = UploadPackRequest.Parse(body, gzip: false)!;

        Assert.Equal([A, B], request.Wants);
        Assert.True(request.IsFetch);
    }

    [Fact]
    public void A_protocol_v2_fetch_is_a_fetch_and_ls_refs_is_not()
    {
        var fetch = Encoding.ASCII.GetBytes(Pkt("command=fetch\n") + Pkt("agent=git/2.39\n") + "0001" + Pkt("thin-pack\n") + Pkt($"want {A}\n") + Pkt("done\n") + "0000");
        var lsRefs = Encoding.ASCII.GetBytes(Pkt("command=ls-refs\n") + "0001" + Pkt("peel\n") + Pkt("ref-prefix refs/heads/\n") + "0000");

        Assert.True(UploadPackRequest.Parse(fetch, gzip: false)!.IsFetch);
        var refs = UploadPackRequest.Parse(lsRefs, gzip: false)!;
        Assert.False(refs.IsFetch);
        Assert.Equal("ls-refs", refs.Command);
    }

    [Fact]
    public void A_gzip_body_is_read_and_kept_inflated_for_upload_pack()
    {
        var plain = Pkt($"want {A}\n") + "0000" + Pkt("done\n");
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.ASCII.GetBytes(plain));

        var request = UploadPackRequest.Parse(compressed.ToArray(), gzip: true)!;

        Assert.Equal([A], request.Wants);
        Assert.Equal(plain, Encoding.ASCII.GetString(request.Body));
    }

    [Theory]
    [InlineData("zzzzwant")]
    [InlineData("0032want 1111111111111111111111111111111111111111\n0")]
    [InlineData("00ffwant short")]
    public void A_body_that_is_not_pkt_lines_is_not_parsed(string body) =>
        Assert.Null(UploadPackRequest.Parse(Encoding.ASCII.GetBytes(body), gzip: false));

    [Fact]
    public void Wants_that_are_not_object_ids_are_ignored()
    {
        var body = Encoding.ASCII.GetBytes(Pkt("want ../../etc/passwd\n") + Pkt("want HEAD\n") + "0000");

        Assert.False(UploadPackRequest.Parse(body, gzip: false)!.IsFetch);
    }
}
