using Cleanroom.Errors;

namespace Cleanroom.Images.Layers;

/// <summary>Builds the <c>layer_unsafe</c> error, always naming the entry (control characters made visible).</summary>
internal static class UnsafeLayerEntry
{
    public static CleanroomException Error(string entryName, string reason) =>
        new(ErrorCode.LayerUnsafe, $"layer entry \"{Printable(entryName)}\": {reason}");

    public static string Printable(string text) =>
        text.Any(char.IsControl)
            ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()))
            : text;
}
