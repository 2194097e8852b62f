using System.Text;
using System.Text.Json;
using Cleanroom.Api.Authentication;
using Cleanroom.Api.Observation;
using Cleanroom.Errors;
using Cleanroom.RuntimeConfig;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Audit;

/// <summary>
/// The audit log: one JSON line (<see cref="AuditEntry"/>) per audited call (<see cref="AuditSubjects"/>) and per
/// call the authentication gate refused, appended to <c>audit.file</c> (0600). When the file would pass
/// <c>max_bytes</c> it rotates (<c>audit.log.1</c> is the newest old file); rotated files beyond <c>max_files</c> or
/// older than <c>retention_days</c> are deleted. A write that fails is logged and never fails the call.
/// </summary>
public sealed class AuditLog : IApiCallObserver
{
    private readonly AuditSettings _settings;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly object _gate = new();

    public AuditLog(string path, AuditSettings settings, ILogger logger, TimeProvider? time = null)
    {
        Path = path;
        _settings = settings;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        lock (_gate) DeleteExpired();
    }

    public string Path { get; }

    public void Completed(ServerCallContext context, IMessage? request, IMessage? response, Exception? failure)
    {
        if (AuditSubjects.Verb(context.Method) is not { } verb) return;
        var http = context.GetHttpContext();
        var (sandboxId, executionId, policyHash, allowAll) = AuditSubjects.Of(request, response);
        Append(Entry(http, http.Caller(), verb, failure is null ? "ok" : Outcome(failure)) with
        {
            SandboxId = sandboxId,
            ExecutionId = executionId,
            PolicyHash = policyHash,
            AllowAll = allowAll,
        });
    }

    public void Refused(HttpContext http, Caller? caller, string code) =>
        Append(Entry(http, caller ?? Caller.Anonymous, AuditSubjects.Verb(http.Request.Path.Value ?? "") ?? http.Request.Path.Value ?? "", code));

    private AuditEntry Entry(HttpContext http, Caller caller, string verb, string outcome) =>
        new(_time.GetUtcNow(), caller.Principal, caller.MethodName, Peer(http), verb, null, null, null, null, outcome);

    private static string Peer(HttpContext http) =>
        http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : "unix";

    private static string Outcome(Exception failure) => failure switch
    {
        CleanroomException known => known.Code,
        RpcException rpc => rpc.StatusCode == StatusCode.Cancelled ? "canceled" : rpc.StatusCode.ToString().ToLowerInvariant(),
        OperationCanceledException => "canceled",
        _ => "internal",
    };

    public void Append(AuditEntry entry)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, AuditEntryJson.Default.AuditEntry) + "\n");
        lock (_gate)
        {
            try
            {
                if (File.Exists(Path) && new FileInfo(Path).Length + line.Length > _settings.MaxBytes) Rotate();
                using var file = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.Append,
                    Access = FileAccess.Write,
                    Share = FileShare.Read,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                file.Write(line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogError("Could not append to the audit log {Path}: {Reason}", Path, e.Message);
            }
        }
    }

    /// <summary>audit.log becomes audit.log.1, .1 becomes .2, ...; the file past max_files goes.</summary>
    private void Rotate()
    {
        File.Delete(Rotated(_settings.MaxFiles));
        for (var i = _settings.MaxFiles - 1; i >= 1; i--)
            if (File.Exists(Rotated(i))) File.Move(Rotated(i), Rotated(i + 1), overwrite: true);
        File.Move(Path, Rotated(1), overwrite: true);
        DeleteExpired();
    }

    private void DeleteExpired()
    {
        if (_settings.RetentionDays == 0) return;
        var cutoff = _time.GetUtcNow().AddDays(-_settings.RetentionDays);
        for (var i = 1; i <= _settings.MaxFiles; i++)
        {
            var rotated = new FileInfo(Rotated(i));
            if (rotated.Exists && rotated.LastWriteTimeUtc < cutoff.UtcDateTime) rotated.Delete();
        }
    }

    private string Rotated(int index) => $"{Path}.{index}";
}
