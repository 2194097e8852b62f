using System.Buffers.Binary;
using System.Numerics;

namespace Cleanroom.Agent.Files;

/// <summary>
/// SHA-1 (FIPS 180-4), incremental. The agent cannot use System.Security.Cryptography: under NativeAOT
/// it loads OpenSSL at run time, and most guest images (busybox) have none. SHA-1 is needed for one
/// reason only: git names blobs by it, and the host compares the workspace with a git checkout.
/// </summary>
internal sealed class Sha1
{
    private readonly uint[] _state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    private readonly byte[] _block = new byte[64];
    private readonly uint[] _schedule = new uint[80];
    private int _blockLength;
    private ulong _totalBytes;

    public void Append(ReadOnlySpan<byte> data)
    {
        _totalBytes += (ulong)data.Length;
        while (data.Length > 0)
        {
            var take = Math.Min(64 - _blockLength, data.Length);
            data[..take].CopyTo(_block.AsSpan(_blockLength));
            _blockLength += take;
            data = data[take..];
            if (_blockLength == 64)
            {
                Compress(_block);
                _blockLength = 0;
            }
        }
    }

    /// <summary>The digest as 40 lower-case hex digits. The instance is spent afterwards.</summary>
    public string FinishHex()
    {
        var bitLength = _totalBytes * 8;
        Span<byte> padding = stackalloc byte[72];
        padding.Clear();
        padding[0] = 0x80;
        var padLength = (_blockLength < 56 ? 56 : 120) - _blockLength;
        BinaryPrimitives.WriteUInt64BigEndian(padding[padLength..], bitLength);
        var total = _totalBytes;
        Append(padding[..(padLength + 8)]);
        _totalBytes = total;
        Span<byte> digest = stackalloc byte[20];
        for (var i = 0; i < 5; i++)
            BinaryPrimitives.WriteUInt32BigEndian(digest[(i * 4)..], _state[i]);
        return Convert.ToHexStringLower(digest);
    }

    private void Compress(ReadOnlySpan<byte> block)
    {
        var w = _schedule;
        for (var t = 0; t < 16; t++)
            w[t] = BinaryPrimitives.ReadUInt32BigEndian(block[(t * 4)..]);
        for (var t = 16; t < 80; t++)
            w[t] = BitOperations.RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

        uint a = _state[0], b = _state[1], c = _state[2], d = _state[3], e = _state[4];
        for (var t = 0; t < 80; t++)
        {
            uint f, k;
            if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            var temp = BitOperations.RotateLeft(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = temp;
        }
        _state[0] += a;
        _state[1] += b;
        _state[2] += c;
        _state[3] += d;
        _state[4] += e;
    }
}
