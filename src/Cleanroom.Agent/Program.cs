using Cleanroom.Agent;
using Cleanroom.Agent.ExecHelper;
using Cleanroom.Agent.Execution;
using Cleanroom.Agent.Init;

if (args.Length > 0 && args[0] == ExecutionLauncher.HelperFlag)
    return ExecHelperProgram.Run();

var options = AgentOptions.Parse(args, out var error);
if (options is null)
{
    AgentLog.Error($"{error}\n{AgentOptions.Usage}");
    return 2;
}
AgentLog.Verbose = options.Verbose;

try
{
    if (options.Init && GuestInit.Boot(options) == InitOutcome.ProbeDone)
        return 0;
    InitProcess.Prepare();
    var self = options.Init ? GuestInit.SelfCommandAfterSwitch() : SelfCommand.Detect(args);
    var reaper = new ChildReaper();
    SessionLoop.Serve(options, (input, output) => new AgentSession(input, output, self, reaper, InitProcess.IsInit, canSuspend: options.Transport == TransportKind.Listen));
    AgentLog.Info("agent stopped");
    return 0;
}
catch (Exception e)
{
    AgentLog.Error($"agent failed: {e.Message}");
    return 1;
}
finally
{
    // A VM's init must not just exit (the kernel would panic): flush the disk and end the machine, also
    // after a failure, so the host sees QEMU exit and reads the reason on the console.
    if (options.Init)
        GuestInit.PowerOff();
}
