using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// Package registries the test owns, in an <see cref="UpstreamNamespace"/> (busybox httpd, port 8080), named
/// <c>npm.test</c> and <c>pypi.test</c> through <c>network.dns.hosts</c>:
/// <list type="bullet">
/// <item>npm at <see cref="NpmBase"/>: a static layout (package documents and <c>.tgz</c> files made with tar) behind a
/// small CGI program that maps npm's paths (<c>NAME</c>, <c>NAME/-/FILE.tgz</c>) onto it, since a static tree cannot hold a
/// file <c>NAME</c> beside a directory <c>NAME/</c>. <c>demo-app</c> depends on <see cref="DependencyCount"/>
/// <c>demo-dep-N</c> and the scoped <c>@demo/scoped</c>; <c>bad-pkg</c>'s document names the integrity of one tarball and the server sends other bytes.</item>
/// <item>PyPI at <see cref="PypiBase"/>: a PEP 503 directory (<c>simple/demo-pkg/index.html</c>) linking a wheel
/// (built here as a zip) with its <c>#sha256=</c>.</item>
/// </list>
/// </summary>
public sealed class PackageRegistryUpstream : IAsyncDisposable
{
    public const int DependencyCount = 20;
    public static readonly string NpmBase = $"http://npm.test:{UpstreamNamespace.Port}/cgi-bin/npm/";
    public static readonly string PypiBase = $"http://pypi.test:{UpstreamNamespace.Port}/simple/";

    private PackageRegistryUpstream(UpstreamNamespace upstream, string badIntegrityHex)
    {
        Namespace = upstream;
        BadPackageSha512 = badIntegrityHex;
    }

    public UpstreamNamespace Namespace { get; }

    /// <summary>The sha512 (hex) that <c>bad-pkg</c>'s document names, which the bytes served never match.</summary>
    public string BadPackageSha512 { get; }

    public static async Task<PackageRegistryUpstream> StartAsync()
    {
        string bad = "";
        var upstream = await UpstreamNamespace.StartAsync(async content =>
        {
            var www = Directory.CreateDirectory(Path.Combine(content, "www")).FullName;
            var npm = Path.Combine(content, "npm");
            Directory.CreateDirectory(Path.Combine(npm, "docs"));
            Directory.CreateDirectory(Path.Combine(npm, "tarballs"));
            var dependencies = new JsonObject();
            for (var i = 0; i < DependencyCount; i++)
            {
                await NpmPackageAsync(content, npm, $"demo-dep-{i}", $"module.exports = {i};\n", new JsonObject());
                dependencies[$"demo-dep-{i}"] = "^1.0.0";
            }

            // A scoped package: npm asks for its document as "@demo%2fscoped".
            await NpmPackageAsync(content, npm, "@demo/scoped", "module.exports = 'scoped';\n", new JsonObject());
            dependencies["@demo/scoped"] = "^1.0.0";
            await NpmPackageAsync(content, npm, "demo-app", "module.exports = 'demo-app with ' + Object.keys(require('./package.json').dependencies).length + ' dependencies';\n", dependencies);
            var (integrity, _) = await NpmPackageAsync(content, npm, "bad-pkg", "module.exports = 'genuine';\n", new JsonObject());
            bad = Convert.ToHexStringLower(Convert.FromBase64String(integrity["sha512-".Length..]));
            // The upstream now serves other bytes under the name the document's integrity is for.
            await NpmTarballAsync(content, "bad-pkg", "module.exports = 'tampered';\n", new JsonObject(), Path.Combine(npm, "tarballs", "bad-pkg-1.0.0.tgz"));

            var cgi = Directory.CreateDirectory(Path.Combine(www, "cgi-bin")).FullName;
            await File.WriteAllTextAsync(Path.Combine(cgi, "npm"),
                "#!/bin/sh\n" +
                $"root={npm}\n" +
                "case \"$PATH_INFO\" in\n" +
                "  */-/*.tgz) file=\"$root/tarballs/${PATH_INFO##*/}\"; type=application/octet-stream ;;\n" +
                "  *) file=\"$root/docs/${PATH_INFO#/}.json\"; type=application/json ;;\n" +
                "esac\n" +
                "if [ -f \"$file\" ]; then printf 'Content-Type: %s\\r\\n\\r\\n' \"$type\"; cat \"$file\";\n" +
                "else printf 'HTTP/1.0 404 Not Found\\r\\nContent-Type: text/plain\\r\\n\\r\\nnot found\\n'; fi\n");
            File.SetUnixFileMode(Path.Combine(cgi, "npm"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var wheel = Path.Combine(Directory.CreateDirectory(Path.Combine(www, "packages")).FullName, "demo_pkg-1.0-py3-none-any.whl");
            WriteWheel(wheel);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(wheel)));
            var project = Directory.CreateDirectory(Path.Combine(www, "simple", "demo-pkg")).FullName;
            await File.WriteAllTextAsync(Path.Combine(project, "index.html"),
                $"<!DOCTYPE html>\n<html><body>\n<a href=\"../../packages/demo_pkg-1.0-py3-none-any.whl#sha256={sha256}\">demo_pkg-1.0-py3-none-any.whl</a>\n</body></html>\n");
            return ["-h", www];
        });
        return new PackageRegistryUpstream(upstream, bad);
    }

    /// <summary>A package document naming one version and its tarball (made with tar), with SRI integrity and shasum.</summary>
    private static async Task<(string Integrity, string Shasum)> NpmPackageAsync(string content, string npm, string name, string index, JsonObject dependencies)
    {
        var file = $"{name.Split('/')[^1]}-1.0.0.tgz";
        var tarball = Path.Combine(npm, "tarballs", file);
        await NpmTarballAsync(content, name, index, dependencies, tarball);
        var bytes = await File.ReadAllBytesAsync(tarball);
        var integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes));
        var shasum = Convert.ToHexStringLower(SHA1.HashData(bytes));
        var document = new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = new JsonObject { ["latest"] = "1.0.0" },
            ["versions"] = new JsonObject
            {
                ["1.0.0"] = new JsonObject
                {
                    ["name"] = name,
                    ["version"] = "1.0.0",
                    ["dependencies"] = dependencies.DeepClone(),
                    ["dist"] = new JsonObject { ["tarball"] = $"{NpmBase}{name}/-/{file}", ["integrity"] = integrity, ["shasum"] = shasum },
                },
            },
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(npm, "docs", name + ".json"))!);
        await File.WriteAllTextAsync(Path.Combine(npm, "docs", name + ".json"), document.ToJsonString());
        return (integrity, shasum);
    }

    private static async Task NpmTarballAsync(string content, string name, string index, JsonObject dependencies, string tarball)
    {
        var work = Directory.CreateDirectory(Path.Combine(content, "work", name, "package")).FullName;
        await File.WriteAllTextAsync(Path.Combine(work, "package.json"),
            new JsonObject { ["name"] = name, ["version"] = "1.0.0", ["main"] = "index.js", ["dependencies"] = dependencies.DeepClone() }.ToJsonString());
        await File.WriteAllTextAsync(Path.Combine(work, "index.js"), index);
        await Shell.CheckAsync("tar", "-czf", tarball, "-C", Path.GetDirectoryName(work)!, "package");
        Directory.Delete(Path.GetDirectoryName(work)!, recursive: true);
    }

    /// <summary>A pure-Python wheel: the module, METADATA, WHEEL and RECORD, as pip expects them.</summary>
    private static void WriteWheel(string path)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, string text)
        {
            using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
            writer.Write(text);
        }

        Add("demo_pkg/__init__.py", "VALUE = 'demo-pkg from the test index'\n");
        Add("demo_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n");
        Add("demo_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: cleanroom-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
        Add("demo_pkg-1.0.dist-info/RECORD", "demo_pkg/__init__.py,,\ndemo_pkg-1.0.dist-info/METADATA,,\ndemo_pkg-1.0.dist-info/WHEEL,,\ndemo_pkg-1.0.dist-info/RECORD,,\n");
    }

    public ValueTask DisposeAsync() => Namespace.DisposeAsync();
}
