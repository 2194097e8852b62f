namespace Cleanroom.Policy.Yaml;

/// <summary>Builds the error paths users see, in the form <c>sandbox.network.allow[1].ports[0]</c>.</summary>
internal static class PolicyPath
{
    public static string Field(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;

    public static string Item(string parent, int index) => parent + "[" + index + "]";
}
