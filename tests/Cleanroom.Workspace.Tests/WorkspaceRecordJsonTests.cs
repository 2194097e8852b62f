using Cleanroom.Backends;

namespace Cleanroom.Workspace.Tests;

/// <summary>
/// Workspace records live in the server's database: the text written must stay exactly what earlier servers wrote
/// (snake_case names, enum names in snake_case, baseline sorted by path, default escaping), and a stored record
/// must read back whole.
/// </summary>
public class WorkspaceRecordJsonTests
{
    // Written by the reflection-based serializer before the source-generated one replaced it.
    private const string Stored =
        """{"guest_path":"/workspace","commit":"0123456789abcdef0123456789abcdef01234567","checkout_path":"/home/dev/project","baseline":["""
        + """{"path":"bin/run","kind":"file","executable":true,"blob_id":"bbbb","link_target":""},"""
        + """{"path":"docs/na\u00EFve \u003Cnotes\u003E.md","kind":"file","executable":false,"blob_id":"cccc","link_target":""},"""
        + """{"path":"latest","kind":"symbolic_link","executable":false,"blob_id":"dddd","link_target":"bin/run"}]}""";

    private static WorkspaceRecord Sample() => new("/workspace", "0123456789abcdef0123456789abcdef01234567", "/home/dev/project",
        new Dictionary<string, WorkspaceEntry>(StringComparer.Ordinal)
        {
            ["latest"] = new("latest", GuestEntryKind.SymbolicLink, false, "dddd", "bin/run"),
            ["docs/naïve <notes>.md"] = new("docs/naïve <notes>.md", GuestEntryKind.File, false, "cccc", ""),
            ["bin/run"] = new("bin/run", GuestEntryKind.File, true, "bbbb", ""),
        });

    [Fact]
    public void A_record_is_written_in_the_stored_format()
    {
        Assert.Equal(Stored, Sample().ToJson());
    }

    [Fact]
    public void A_stored_record_reads_back_with_every_entry()
    {
        var record = WorkspaceRecord.FromJson(Stored);

        Assert.Equal(("/workspace", "0123456789abcdef0123456789abcdef01234567", "/home/dev/project"),
            (record.GuestPath, record.Commit, record.CheckoutPath));
        Assert.Equal(Sample().Baseline.OrderBy(e => e.Key, StringComparer.Ordinal), record.Baseline.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(Stored, record.ToJson());
    }
}
