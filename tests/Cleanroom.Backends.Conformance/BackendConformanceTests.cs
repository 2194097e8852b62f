using System.Text;
using Cleanroom.Errors;

namespace Cleanroom.Backends.Conformance;

/// <summary>
/// The outcomes every backend must give, whatever isolates the sandbox. A backend's test class derives
/// from this, supplies a backend and a sandbox spec using <see cref="ConformanceImage"/> (busybox with its
/// config), and says how to prove on its host that a terminated sandbox left nothing behind.
/// </summary>
public abstract partial class BackendConformanceTests : IAsyncLifetime
{
    private readonly List<IProvisionedSandbox> _sandboxes = [];

    /// <summary>A backend ready to provision; called once per test.</summary>
    protected abstract ISandboxBackend Backend { get; }

    /// <summary>A spec for a new sandbox of <see cref="ConformanceImage"/>.</summary>
    protected abstract SandboxSpec NewSpec();

    /// <summary>Fails unless the host holds nothing of the sandbox any more (processes, mounts, files, runtime state).</summary>
    protected abstract Task AssertNothingRemainsAsync(string sandboxId);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var sandbox in _sandboxes)
            await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
    }

    protected async Task<IProvisionedSandbox> NewSandboxAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var sandbox = await Backend.ProvisionAsync(NewSpec(), deadline.Token);
        _sandboxes.Add(sandbox);
        return sandbox;
    }

    [BackendTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    public async Task Exit_code_of_the_command_is_reported(int code)
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", $"exit {code}");
        Assert.Equal(ExitStatus.Exited(code), result.Exit);
    }

    [BackendFact]
    public async Task Death_by_signal_reports_128_plus_the_signal()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "kill -9 $$");
        Assert.Equal(137, result.Exit.ExitCode);
        Assert.Equal(9, result.Exit.Signal);
    }

    [BackendFact]
    public async Task Command_that_does_not_exist_exits_127_and_says_so_on_stderr()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, "no-such-command-here");
        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Contains("no-such-command-here", result.Stderr);
    }

    [BackendFact]
    public async Task Stdout_and_stderr_stay_apart_and_each_in_order()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "i=1; while [ $i -le 300 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done");
        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(Lines("out", 300), result.Stdout);
        Assert.Equal(Lines("err", 300), result.Stderr);
    }

    [BackendFact]
    public async Task Large_output_arrives_complete()
    {
        var sandbox = await NewSandboxAsync();
        // 8 MiB: many times the flow-control window, so credit must keep flowing end to end.
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "head -c 8388608 /dev/zero | tr '\\0' a");
        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(8388608, result.Stdout.Length);
        Assert.DoesNotContain(result.Stdout, c => c != 'a');
    }

    [BackendFact]
    public async Task Stdin_reaches_the_command_in_order()
    {
        var sandbox = await NewSandboxAsync();
        var input = Encoding.UTF8.GetBytes(Lines("line", 5000));
        var result = await ExecutionResult.RunAsync(sandbox, new ExecutionSpec { Argv = ["cat"] }, input);
        Assert.Equal(0, result.Exit.ExitCode);
        Assert.Equal(Encoding.UTF8.GetString(input), result.Stdout);
    }

    [BackendFact]
    public async Task Env_and_cwd_of_the_request_are_applied_over_the_image_defaults()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, new ExecutionSpec
        {
            Argv = ["sh", "-c", $"echo $GREETING; echo ${ConformanceImage.ImageVariable}; pwd"],
            Env = [new("GREETING", "hello")],
            Cwd = "/tmp",
        });
        Assert.Equal($"hello\n{ConformanceImage.ImageVariableValue}\n/tmp\n", result.Stdout);
    }

    [BackendFact]
    public async Task Image_defaults_apply_when_the_request_names_none()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, "sh", "-c", $"echo ${ConformanceImage.ImageVariable}; pwd; id -u; echo $PATH");
        Assert.Equal($"{ConformanceImage.ImageVariableValue}\n{ConformanceImage.WorkingDirectory}\n0\n{Images.ImageConfig.DefaultPath["PATH=".Length..]}\n", result.Stdout);
    }

    [BackendFact]
    public async Task Request_env_replaces_an_image_variable_of_the_same_name()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, new ExecutionSpec
        {
            Argv = ["sh", "-c", $"echo ${ConformanceImage.ImageVariable}"],
            Env = [new(ConformanceImage.ImageVariable, "from-request")],
        });
        Assert.Equal("from-request\n", result.Stdout);
    }

    [BackendFact]
    public async Task Request_user_runs_the_command_as_that_user()
    {
        var sandbox = await NewSandboxAsync();
        var result = await ExecutionResult.RunAsync(sandbox, new ExecutionSpec { Argv = ["id", "-un"], User = "nobody" });
        Assert.Equal("nobody\n", result.Stdout);
    }

    [BackendFact]
    public async Task Writes_persist_across_executions_in_one_sandbox()
    {
        var sandbox = await NewSandboxAsync();
        Assert.Equal(0, (await ExecutionResult.RunAsync(sandbox, "sh", "-c", "echo kept > /workspace/note; echo root-too > /etc/extra")).Exit.ExitCode);
        var result = await ExecutionResult.RunAsync(sandbox, "cat", "/workspace/note", "/etc/extra");
        Assert.Equal("kept\nroot-too\n", result.Stdout);
    }

    [BackendFact]
    public async Task Two_sandboxes_do_not_see_each_others_writes()
    {
        var first = await NewSandboxAsync();
        var second = await NewSandboxAsync();
        await ExecutionResult.RunAsync(first, "sh", "-c", "echo mine > /workspace/private; rm /bin/ls");
        var result = await ExecutionResult.RunAsync(second, "sh", "-c", "cat /workspace/private; test -e /bin/ls && echo ls-present");
        Assert.DoesNotContain("mine", result.Stdout);
        Assert.Contains("ls-present", result.Stdout);
    }

    [BackendFact]
    public async Task Files_can_be_read_out_of_the_sandbox_and_a_missing_one_is_not_found()
    {
        var sandbox = await NewSandboxAsync();
        await ExecutionResult.RunAsync(sandbox, "sh", "-c", "printf 'payload' > /workspace/out.txt");
        await using (var stream = await sandbox.OpenFileAsync("/workspace/out.txt", CancellationToken.None))
        using (var reader = new StreamReader(stream))
            Assert.Equal("payload", await reader.ReadToEndAsync());
        var error = await Assert.ThrowsAnyAsync<CleanroomException>(() => sandbox.OpenFileAsync("/workspace/absent", CancellationToken.None));
        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    [BackendFact]
    public async Task A_tree_copied_in_is_listed_with_git_blob_ids_and_copied_out_with_its_modes()
    {
        var sandbox = await NewSandboxAsync();
        var tree = Assert.IsAssignableFrom<ISandboxFileTree>(sandbox);
        var archive = new MemoryStream();
        await using (var writer = new System.Formats.Tar.TarWriter(archive, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "bin/tool")
                { Mode = (UnixFileMode)0x1ed, DataStream = new MemoryStream("hello\n"u8.ToArray()) });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "link") { LinkName = "bin/tool" });
        }
        archive.Position = 0;

        await tree.WriteArchiveAsync("/workspace/copied", archive, CancellationToken.None);
        var listing = new List<GuestTreeEntry>();
        await foreach (var entry in tree.ListTreeAsync("/workspace/copied", [], 100, CancellationToken.None))
            listing.Add(entry);
        var run = await ExecutionResult.RunAsync(sandbox, "sh", "-c", "cat /workspace/copied/link");
        await using var back = await tree.ReadArchiveAsync("/workspace/copied", ["bin"], CancellationToken.None);
        var names = new List<(string, UnixFileMode)>();
        await using (var reader = new System.Formats.Tar.TarReader(back))
            while (await reader.GetNextEntryAsync() is { } entry)
                names.Add((entry.Name, entry.Mode));

        Assert.Equal("hello\n", run.Stdout);
        Assert.Equal(["", "bin", "bin/tool", "link"], listing.Select(e => e.Path));
        // printf 'hello\n' | git hash-object --stdin
        Assert.Equal("ce013625030ba8dba906f756967f9e9ca394464a", listing.Single(e => e.Path == "bin/tool").BlobId);
        Assert.Equal(["bin/", "bin/tool"], names.Select(n => n.Item1));
        Assert.Equal((UnixFileMode)0x1ed, names.Single(n => n.Item1 == "bin/tool").Item2);
    }

    [BackendFact]
    public async Task Signal_reaches_a_running_command()
    {
        var sandbox = await NewSandboxAsync();
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec { Argv = ["sleep", "600"] }, CancellationToken.None);
        await execution.SignalAsync(SignalNumbers.Terminate, CancellationToken.None);
        var result = await ExecutionResult.CollectAsync(execution, new CancellationTokenSource(ExecutionResult.DefaultTimeout).Token);
        Assert.Equal(ExitStatus.KilledBy(SignalNumbers.Terminate), result.Exit);
    }

    [BackendFact]
    public async Task Terminate_ends_running_executions_and_leaves_nothing_behind()
    {
        var sandbox = await NewSandboxAsync();
        await using var execution = await sandbox.StartExecutionAsync(new ExecutionSpec { Argv = ["sleep", "600"] }, CancellationToken.None);
        await sandbox.TerminateAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        var result = await ExecutionResult.CollectAsync(execution, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.NotEqual(0, result.Exit.ExitCode);
        await AssertNothingRemainsAsync(sandbox.SandboxId);
        await sandbox.TerminateAsync(CancellationToken.None); // idempotent
        await Assert.ThrowsAnyAsync<CleanroomException>(() => sandbox.StartExecutionAsync(new ExecutionSpec { Argv = ["true"] }, CancellationToken.None));
    }

    protected static string Lines(string prefix, int count) =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"{prefix}{i}\n"));
}
