using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Cleanroom.Cli.Service;

/// <summary>
/// How <c>serve</c> logs (<c>--log-level</c>, <c>--log-format</c>): single text lines for a person, or one JSON object
/// per line (timestamp, level, category, message, and the entry's structured values) for the journal and log
/// collectors. ASP.NET Core's own chatter stays at warning unless debugging is asked for.
/// </summary>
internal sealed record ServerLogging(string Level, string Format)
{
    public LogLevel Minimum => Level switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => LogLevel.Information,
    };

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(logging =>
    {
        if (Format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
                o.IncludeScopes = false;
            });
        }
        else
        {
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        }
        logging.AddFilter("Microsoft.AspNetCore", Minimum <= LogLevel.Debug ? Minimum : LogLevel.Warning);
        logging.SetMinimumLevel(Minimum);
    });
}
