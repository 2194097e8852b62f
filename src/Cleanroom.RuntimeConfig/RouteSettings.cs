namespace Cleanroom.RuntimeConfig;

/// <summary>
/// The <c>routes:</c> section: where the server's HTTPS router listens for <c>--expose-https</c> routes
/// (<c>https://NAME.cleanroom.localhost:PORT/</c>). It starts with the first route. Port 0 lets the system pick one.
/// </summary>
public sealed record RouteSettings(int Port, string Address)
{
    public const int DefaultPort = 8143;

    public static RouteSettings Defaults { get; } = new(DefaultPort, "127.0.0.1");
}
