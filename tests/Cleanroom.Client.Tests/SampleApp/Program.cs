using Cleanroom.Client;

// The README's ten lines: run a command in a sandbox (args[0] is a digest-pinned image).
using var client = CleanroomClient.FromEnvironment();
var policy = Policy.FromAllowlist(args[0], Policy.Allow("api.github.com", 443));
var sandbox = await client.EnsureSandboxAsync("readme-sample", new SandboxOptions { Policy = policy });
var (result, stdout, stderr) = await sandbox.ExecAndWaitAsync(["sh", "-c", "echo hello from $(hostname)"]);
Console.Write(stdout + stderr);
await sandbox.TerminateAsync();
return result.ExitCode;
