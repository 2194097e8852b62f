using Cleanroom.Cli;

return await CliApplication.RunAsync(args, CliConsole.FromProcess());
