using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Cleanroom.EndToEnd.Tests;

/// <summary>
/// A Go checksum database the test owns, as static files (the protocol the go client speaks to <c>sum.golang.org</c>):
/// one record per module version (its <c>h1:</c> hashes of the zip and the go.mod), a transparency log of those records
/// whose tree head is signed with a fresh Ed25519 key, the level-0 tile of record hashes, and lookup answers. The go client
/// is given <see cref="VerifierKey"/> as <c>GOSUMDB</c> and verifies all of it exactly as it does the public database's:
/// a wrong hash, tile or signature makes it refuse the module. Holds fewer than 256 records (one partial tile).
/// </summary>
public sealed class GoChecksumDatabase(string name)
{
    private readonly Ed25519PrivateKeyParameters _key = NewKey();
    private readonly List<(string Module, string Version, string Text)> _records = [];

    public string Name => name;

    /// <summary><c>NAME+HASH+KEY</c>, the value of <c>GOSUMDB</c> that trusts this database.</summary>
    public string VerifierKey
    {
        get
        {
            var key = PublicKey();
            return $"{name}+{KeyHash(key):x8}+{Convert.ToBase64String(key)}";
        }
    }

    /// <summary>Adds the record of one module version: the h1 hashes of its zip and its go.mod.</summary>
    public void Add(string module, string version, byte[] zip, byte[] goMod) =>
        _records.Add((module, version, $"{module} {version} {ZipHash(zip)}\n{module} {version}/go.mod {FilesHash([("go.mod", goMod)])}\n"));

    /// <summary>Writes <c>supported</c>, <c>latest</c>, <c>lookup/MODULE@VERSION</c> and the tile under <paramref name="directory"/> (the database's root).</summary>
    public async Task WriteAsync(string directory)
    {
        var leaves = _records.Select(r => SHA256.HashData([0, .. Encoding.ASCII.GetBytes(r.Text)])).ToList();
        var note = SignedTree(leaves.Count, RootHash(leaves));
        await File.WriteAllBytesAsync(Path.Combine(directory, "supported"), []);
        await File.WriteAllTextAsync(Path.Combine(directory, "latest"), note);
        for (var id = 0; id < _records.Count; id++)
        {
            var (module, version, text) = _records[id];
            var lookup = Path.Combine(directory, "lookup", $"{module}@{version}");
            Directory.CreateDirectory(Path.GetDirectoryName(lookup)!);
            await File.WriteAllTextAsync(lookup, $"{id}\n{text}\n{note}");
        }

        var tile = Path.Combine(directory, "tile", "8", "0", "000.p", leaves.Count.ToString());
        Directory.CreateDirectory(Path.GetDirectoryName(tile)!);
        await File.WriteAllBytesAsync(tile, leaves.SelectMany(h => h).ToArray());
    }

    /// <summary>The h1 hash of a module zip: of every entry's name and content (dirhash's Hash1).</summary>
    public static string ZipHash(byte[] zip)
    {
        using var archive = new System.IO.Compression.ZipArchive(new MemoryStream(zip));
        return FilesHash(archive.Entries.Select(e =>
        {
            using var content = new MemoryStream();
            using (var stream = e.Open())
                stream.CopyTo(content);
            return (e.FullName, content.ToArray());
        }).ToList());
    }

    /// <summary>"h1:" and the base64 SHA-256 of the lines "HEX(SHA-256(content))  NAME\n", sorted by name.</summary>
    private static string FilesHash(IReadOnlyList<(string Name, byte[] Content)> files)
    {
        var summary = new StringBuilder();
        foreach (var (file, content) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
            summary.Append($"{Convert.ToHexStringLower(SHA256.HashData(content))}  {file}\n");
        return "h1:" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(summary.ToString())));
    }

    /// <summary>The Merkle tree hash (RFC 6962) of the record hashes: interior nodes SHA-256(0x01 || left || right).</summary>
    private static byte[] RootHash(IReadOnlyList<byte[]> leaves)
    {
        if (leaves.Count == 1)
            return leaves[0];
        var split = 1;
        while (split * 2 < leaves.Count)
            split *= 2;
        return SHA256.HashData([1, .. RootHash(leaves.Take(split).ToList()), .. RootHash(leaves.Skip(split).ToList())]);
    }

    /// <summary>The tree head as a signed note: the text, a blank line, and "— NAME BASE64(KEYHASH || SIGNATURE)".</summary>
    private string SignedTree(int size, byte[] root)
    {
        var text = $"go.sum database tree\n{size}\n{Convert.ToBase64String(root)}\n";
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        var message = Encoding.UTF8.GetBytes(text);
        signer.BlockUpdate(message, 0, message.Length);
        var signature = signer.GenerateSignature();
        var hash = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(hash, KeyHash(PublicKey()));
        return $"{text}\n\u2014 {name} {Convert.ToBase64String([.. hash, .. signature])}\n";
    }

    /// <summary>The algorithm byte (1, Ed25519) and the 32-byte public key, as a verifier key carries it.</summary>
    private byte[] PublicKey() => [1, .. _key.GeneratePublicKey().GetEncoded()];

    /// <summary>The first four bytes (big-endian) of SHA-256(NAME "\n" KEY): the key's id in signatures and the verifier key.</summary>
    private uint KeyHash(byte[] key) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(name + "\n"), .. key]));

    private static Ed25519PrivateKeyParameters NewKey()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return (Ed25519PrivateKeyParameters)generator.GenerateKeyPair().Private;
    }
}
