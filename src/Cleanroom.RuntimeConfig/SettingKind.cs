namespace Cleanroom.RuntimeConfig;

/// <summary>The shapes a runtime-config setting can take.</summary>
public enum SettingKind
{
    Text,
    PositiveInteger,
    Boolean,
    Choice,
}

/// <summary>One known setting of a config section, and how to check it.</summary>
public sealed record SettingSpec(string Name, SettingKind Kind, string Description, IReadOnlyList<string>? Choices = null);
