using System.Buffers.Binary;
using System.Net.Http;
using System.Net.Http.Headers;

namespace Cleanroom.Api.Tests.Support;

/// <summary>Builds and reads Connect protocol bytes by hand, so the tests check the wire, not our own adapter.</summary>
public static class ConnectWire
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string contentType, byte[] body,
        params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = http.DefaultRequestVersion,
            VersionPolicy = http.DefaultVersionPolicy,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("Connect-Protocol-Version", "1");
        foreach (var (name, value) in headers)
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content.Headers.TryAddWithoutValidation(name, value);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public static byte[] Envelope(byte flags, byte[] payload)
    {
        var bytes = new byte[5 + payload.Length];
        bytes[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(bytes, 5);
        return bytes;
    }

    public static List<(byte Flags, byte[] Payload)> ReadEnvelopes(byte[] body)
    {
        var envelopes = new List<(byte, byte[])>();
        var offset = 0;
        while (offset < body.Length)
        {
            Assert.True(body.Length - offset >= 5, "truncated envelope header");
            var flags = body[offset];
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 1));
            Assert.True(body.Length - offset - 5 >= length, "truncated envelope payload");
            envelopes.Add((flags, body.AsSpan(offset + 5, length).ToArray()));
            offset += 5 + length;
        }
        return envelopes;
    }
}
