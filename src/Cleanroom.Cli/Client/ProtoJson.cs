using Google.Protobuf;

namespace Cleanroom.Cli.Client;

/// <summary>The <c>--json</c> form of API messages: protobuf's JSON mapping with the proto's snake_case names.</summary>
internal static class ProtoJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithPreserveProtoFieldNames(true)
        .WithFormatDefaultValues(true));

    public static string Format(IMessage message) => Formatter.Format(message);
}
