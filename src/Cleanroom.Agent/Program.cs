using Cleanroom.Agent;
using Cleanroom.Agent.ExecHelper;
using Cleanroom.Agent.Execution;

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
    InitProcess.Prepare();
    var self = SelfCommand.Detect(args);
    var reaper = new ChildReaper();
    var (input, output) = AgentTransport.Open(options);
    AgentLog.Info($"agent {AgentSession.AgentVersion} ready on {options.Transport}{(InitProcess.IsInit ? " as PID 1" : "")}");
    new AgentSession(input, output, self, reaper, InitProcess.IsInit).Run();
    AgentLog.Info("agent stopped");
    return 0;
}
catch (Exception e)
{
    AgentLog.Error($"agent failed: {e.Message}");
    return 1;
}
