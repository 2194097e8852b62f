using System.Buffers.Binary;
using System.Net;
using System.Text;

/// <summary>
/// Just enough of the DNS wire format (RFC 1035) for the probe to ask one question and read the answer
/// section. Written out rather than taken from a DNS library: the probe runs inside sandboxes as a NativeAOT
/// binary with only the loader, libc and libm beside it, and ARSoft's client made it dlopen libssl (which a
/// busybox image does not have: the probe aborted with "No usable version of libssl was found"), besides an
/// AOT warning for its Enum.GetValues(Type).
/// </summary>
internal static class DnsWire
{
    public const ushort TypeA = 1;
    public const ushort TypeAaaa = 28;

    /// <summary>One question, recursion desired, class IN.</summary>
    public static byte[] Query(ushort id, string name, ushort type)
    {
        var message = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0x0100); // RD
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1); // QDCOUNT
        message.AddRange(header.ToArray());
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63)
                throw new ArgumentException($"not a DNS name: {name}", nameof(name));
            message.Add((byte)bytes.Length);
            message.AddRange(bytes);
        }
        message.Add(0);
        message.AddRange([(byte)(type >> 8), (byte)type, 0, 1]);
        return message.ToArray();
    }

    /// <summary>
    /// Reads a response to the query with <paramref name="id"/>; null when the message is not that response.
    /// A message that breaks off or points outside itself throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static DnsResponse? Parse(ReadOnlySpan<byte> message, ushort id)
    {
        try
        {
            return ParseUnchecked(message, id);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException("malformed DNS message", e);
        }
    }

    private static DnsResponse? ParseUnchecked(ReadOnlySpan<byte> message, ushort id)
    {
        if (message.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(message) != id || (message[2] & 0x80) == 0)
            return null;
        var returnCode = message[3] & 0x0F;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var offset = 12;
        for (var i = 0; i < questions; i++)
            offset = SkipName(message, offset) + 4;
        var records = new List<(IPAddress Address, uint Ttl)>();
        for (var i = 0; i < answers; i++)
        {
            offset = SkipName(message, offset);
            var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
            offset += 10;
            if (type == TypeA && length == 4)
                records.Add((new IPAddress(message.Slice(offset, 4)), ttl));
            offset += length;
        }
        if (offset > message.Length)
            throw new InvalidDataException("malformed DNS message: the answer section runs past its end");
        return new DnsResponse(ReturnCodeName(returnCode), records, answers);
    }

    /// <summary>The mnemonic names the tests compare against (RFC 1035/2136 RCODEs).</summary>
    private static string ReturnCodeName(int code) => code switch
    {
        0 => "NoError",
        1 => "FormatError",
        2 => "ServerFailure",
        3 => "NxDomain",
        4 => "NotImplemented",
        5 => "Refused",
        _ => $"Rcode{code}",
    };

    private static int SkipName(ReadOnlySpan<byte> message, int offset)
    {
        while (true)
        {
            var length = message[offset];
            if ((length & 0xC0) == 0xC0)
                return offset + 2; // a compression pointer ends the name
            if (length == 0)
                return offset + 1;
            offset += 1 + length;
        }
    }
}

/// <summary>A response's code, its A records with TTLs, and how many answer records it had of any type.</summary>
internal sealed record DnsResponse(string ReturnCode, IReadOnlyList<(IPAddress Address, uint Ttl)> ARecords, int AnswerCount);
