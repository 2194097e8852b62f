using Cleanroom.Errors;

namespace Cleanroom.Api.Tls;

/// <summary>
/// What <c>cleanroom tls init DIR</c> writes: <c>ca.crt</c>/<c>ca.key</c> (kept when present, so that running it again
/// adds clients under the same CA), <c>server.crt</c>/<c>server.key</c> and <c>client-NAME.crt</c>/<c>.key</c>. Keys
/// are created 0600. An existing server or client file is kept unless <c>force</c>.
/// </summary>
public static class TlsSetup
{
    /// <summary>The files written (absolute paths), in order; the kept ones are not listed.</summary>
    /// <exception cref="CleanroomException">invalid_argument for a bad name, or a CA file without its key.</exception>
    public static IReadOnlyList<string> Run(string directory, IReadOnlyList<string> serverNames, IReadOnlyList<string> clients, bool force)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string At(string name) => Path.Combine(directory, name);
        var (caCert, caKey) = (At("ca.crt"), At("ca.key"));
        if (File.Exists(caCert) != File.Exists(caKey))
            throw new CleanroomException(ErrorCode.InvalidArgument, $"{directory} holds one of ca.crt and ca.key without the other; remove it or restore its pair");
        try
        {
            using var ca = File.Exists(caCert) ? ApiCertificateAuthority.Load(caCert, caKey) : ApiCertificateAuthority.Create("Cleanroom API CA");
            if (!File.Exists(caCert))
            {
                Write(caKey, ca.KeyPem(), secret: true, written);
                Write(caCert, ca.CertificatePem, secret: false, written);
            }
            if (force || !File.Exists(At("server.crt")))
            {
                var server = ca.IssueServer(serverNames.FirstOrDefault() ?? "localhost", ["localhost", "127.0.0.1", "::1", .. serverNames]);
                Write(At("server.key"), server.KeyPem, secret: true, written);
                Write(At("server.crt"), server.CertificatePem, secret: false, written);
            }
            foreach (var name in clients)
            {
                if (name.Length == 0 || name.Any(c => c == '/' || char.IsWhiteSpace(c)))
                    throw new CleanroomException(ErrorCode.InvalidArgument, $"client name '{name}' must be a plain name without '/' or spaces");
                if (!force && File.Exists(At($"client-{name}.crt"))) continue;
                var client = ca.IssueClient(name);
                Write(At($"client-{name}.key"), client.KeyPem, secret: true, written);
                Write(At($"client-{name}.crt"), client.CertificatePem, secret: false, written);
            }
        }
        catch (ArgumentException e)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, e.Message);
        }
        return written;
    }

    private static void Write(string path, string pem, bool secret, List<string> written)
    {
        // Written beside and renamed into place: a key file never exists with wider permissions, even briefly.
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = secret ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.Delete(temporary);
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(pem);
        File.Move(temporary, path, overwrite: true);
        written.Add(Path.GetFullPath(path));
    }
}
