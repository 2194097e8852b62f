using System.Text;
using Cleanroom.Images.Oci;

namespace Cleanroom.Images.Tests;

/// <summary>
/// The store hashes the JSON it writes, so an image's digest is only stable while the bytes are: these are the
/// exact documents earlier builds wrote (property order, names, left-out nulls, default escaping such as
/// <c>\u002B</c> for '+'), and what they read back as.
/// </summary>
public class OciDocumentJsonTests
{
    private const string A = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string B = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string C = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    // Written with ' for " to stay readable; the JSON itself has no apostrophes.
    private static readonly string Manifest = Quoted(
        """{'schemaVersion':2,'mediaType':'application/vnd.oci.image.manifest.v1\u002Bjson',"""
        + $$"""'config':{'mediaType':'application/vnd.oci.image.config.v1\u002Bjson','digest':'{{A}}','size':321},"""
        + $$"""'layers':[{'mediaType':'application/vnd.oci.image.layer.v1.tar\u002Bgzip','digest':'{{B}}','size':4567}]}""");

    private static readonly string Config = Quoted(
        """{'architecture':'amd64','os':'linux','config':{'User':'1000:1000','Env':['PATH=/usr/bin:/bin','GREETING=\u003Chello \u0026 bye\u003E'],"""
        + """'Cmd':['/bin/sh'],'WorkingDir':'/'},"""
        + $$"""'rootfs':{'type':'layers','diff_ids':['{{C}}']},'history':[{'created_by':'cleanroom image import'}]}""");

    private static readonly string Index = Quoted(
        """{'schemaVersion':2,'mediaType':'application/vnd.oci.image.index.v1\u002Bjson','manifests':["""
        + $$"""{'mediaType':'application/vnd.oci.image.manifest.v1\u002Bjson','digest':'{{A}}','size':321,"""
        + """'annotations':{'org.opencontainers.image.created':'2026-01-02T03:04:05.678Z','org.opencontainers.image.ref.name':'docker.io/library/busybox:latest'},"""
        + """'platform':{'architecture':'amd64','os':'linux'}},"""
        + $$"""{'mediaType':'application/vnd.oci.image.index.v1\u002Bjson','digest':'{{B}}','size':99}]}""");

    private static string Quoted(string json) => json.Replace('\'', '"');

    [Fact]
    public void A_manifest_is_written_as_before_and_reads_back()
    {
        var manifest = new OciManifest(2, OciMediaTypes.ImageManifest,
            new OciDescriptor(OciMediaTypes.ImageConfig, A, 321),
            [new OciDescriptor(OciMediaTypes.LayerTarGzip, B, 4567)]);

        Assert.Equal(Manifest, Encoding.UTF8.GetString(OciJson.Serialize(manifest, OciJsonContext.Default.OciManifest)));
        var read = OciJson.Deserialize(Encoding.UTF8.GetBytes(Manifest), OciJsonContext.Default.OciManifest, "manifest");
        Assert.Equal((A, 321L), (read.Config.Digest, read.Config.Size));
        Assert.Equal(B, Assert.Single(read.Layers).Digest);
        Assert.Equal(Manifest, Encoding.UTF8.GetString(OciJson.Serialize(read, OciJsonContext.Default.OciManifest)));
    }

    [Fact]
    public void An_image_config_is_written_as_before_with_nulls_left_out_and_reads_back()
    {
        var config = new OciImageConfig("amd64", "linux",
            new OciRuntimeConfig { User = "1000:1000", Env = ["PATH=/usr/bin:/bin", "GREETING=<hello & bye>"], Cmd = ["/bin/sh"], WorkingDir = "/" },
            new OciRootfs("layers", [C]))
        {
            History = [new OciHistory("cleanroom image import")],
        };

        Assert.Equal(Config, Encoding.UTF8.GetString(OciJson.Serialize(config, OciJsonContext.Default.OciImageConfig)));
        var read = OciJson.Deserialize(Encoding.UTF8.GetBytes(Config), OciJsonContext.Default.OciImageConfig, "image config");
        Assert.Equal(["PATH=/usr/bin:/bin", "GREETING=<hello & bye>"], read.Config!.Env);
        Assert.Null(read.Config.Entrypoint);
        Assert.Equal([C], read.Rootfs.DiffIds);
        Assert.Equal(Config, Encoding.UTF8.GetString(OciJson.Serialize(read, OciJsonContext.Default.OciImageConfig)));
    }

    [Fact]
    public void The_index_is_written_as_before_with_its_annotations_and_reads_back()
    {
        var index = OciIndex.Empty with
        {
            Manifests =
            [
                new OciDescriptor(OciMediaTypes.ImageManifest, A, 321)
                {
                    Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
                    {
                        [OciIndex.RefNameAnnotation] = "docker.io/library/busybox:latest",
                        [OciIndex.CreatedAnnotation] = "2026-01-02T03:04:05.678Z",
                    },
                    Platform = new OciPlatform("amd64", "linux"),
                },
                new OciDescriptor(OciMediaTypes.ImageIndex, B, 99),
            ],
        };

        Assert.Equal(Index, Encoding.UTF8.GetString(OciJson.Serialize(index, OciJsonContext.Default.OciIndex)));
        var read = OciJson.Deserialize(Encoding.UTF8.GetBytes(Index), OciJsonContext.Default.OciIndex, "image index");
        Assert.Equal("docker.io/library/busybox:latest", read.Manifests[0].Annotations![OciIndex.RefNameAnnotation]);
        Assert.Equal("linux", read.Manifests[0].Platform!.Os);
        Assert.Null(read.Manifests[1].Platform);
        Assert.Equal(Index, Encoding.UTF8.GetString(OciJson.Serialize(read, OciJsonContext.Default.OciIndex)));
    }

    [Fact]
    public void A_document_that_is_not_json_is_an_invalid_image()
    {
        var error = Assert.Throws<Cleanroom.Errors.CleanroomException>(() => OciJson.Deserialize("{not json"u8, OciJsonContext.Default.OciManifest, "manifest sha256:x"));
        Assert.Contains("manifest sha256:x is not valid JSON", error.Message);
    }
}
