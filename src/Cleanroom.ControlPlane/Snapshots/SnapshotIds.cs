using System.Text.RegularExpressions;
using Cleanroom.Errors;

namespace Cleanroom.ControlPlane.Snapshots;

/// <summary>Snapshot ids: <c>snap-</c> and 24 lower-case hex digits of the content digest. Anything else is refused before it touches a path.</summary>
internal static partial class SnapshotIds
{
    public const string Prefix = "snap-";

    public static bool IsValid(string id) => Shape().IsMatch(id);

    public static string Check(string id) => IsValid(id) ? id
        : throw new CleanroomException(ErrorCode.NotFound, $"snapshot {id} does not exist (a snapshot id is {Prefix} and 24 hex digits)");

    [GeneratedRegex("^snap-[0-9a-f]{24}$")]
    private static partial Regex Shape();
}
