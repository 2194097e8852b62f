using System.Net;
using System.Net.Sockets;
using Cleanroom.ControlPlane;
using Cleanroom.Errors;
using Microsoft.Extensions.Logging;

namespace Cleanroom.Server.Ports;

/// <summary>What an exposure asks for: listen on <see cref="Host"/> and carry connections to <see cref="GuestPort"/>.</summary>
internal sealed record ExposureRequest(IPEndPoint Host, ushort GuestPort);

/// <summary>An exposure in force: the address actually bound and the guest port it leads to.</summary>
internal sealed record ExposureInfo(IPEndPoint Host, ushort GuestPort);

/// <summary>
/// The host ports the server listens on, per sandbox. A request binds all its ports before it starts any, so a port in
/// use fails it with <c>port_in_use</c> and leaves nothing; the listeners close when the sandbox ends (the control
/// plane says so) or when the server stops. They live in this process only: after a restart a re-adopted sandbox
/// has none until they are asked for again.
/// </summary>
internal sealed class PortExposures : IAsyncDisposable
{
    private readonly SandboxControl _control;
    private readonly ILogger<PortExposures> _logger;
    private readonly Dictionary<string, List<TcpExposure>> _bySandbox = new(StringComparer.Ordinal);
    private readonly List<Task> _closing = [];

    public PortExposures(SandboxControl control, ILogger<PortExposures> logger)
    {
        _control = control;
        _logger = logger;
        control.SandboxEnded += Close;
    }

    public async Task<IReadOnlyList<ExposureInfo>> ExposeAsync(string sandboxId, IReadOnlyList<ExposureRequest> requests)
    {
        _control.Ports(sandboxId); // READY, and a backend that can connect to ports: else fail before binding anything
        var made = new List<TcpExposure>();
        try
        {
            foreach (var request in requests)
                made.Add(Bind(sandboxId, request));
            lock (_bySandbox)
            {
                if (!_bySandbox.TryGetValue(sandboxId, out var list))
                    _bySandbox[sandboxId] = list = [];
                list.AddRange(made);
            }
            // The sandbox may have ended between the check and the registration, after its listeners were closed.
            _control.Ports(sandboxId);
        }
        catch
        {
            lock (_bySandbox)
                if (_bySandbox.TryGetValue(sandboxId, out var list))
                    list.RemoveAll(made.Contains);
            await Task.WhenAll(made.Select(e => e.DisposeAsync().AsTask())).ConfigureAwait(false);
            throw;
        }
        foreach (var exposure in made)
        {
            exposure.Start();
            _logger.LogInformation("sandbox {SandboxId}: exposed {Endpoint} -> port {GuestPort}", sandboxId, exposure.Endpoint, exposure.GuestPort);
        }
        return made.Select(e => new ExposureInfo(e.Endpoint, e.GuestPort)).ToList();
    }

    private TcpExposure Bind(string sandboxId, ExposureRequest request)
    {
        try
        {
            return new TcpExposure(request.Host, sandboxId, request.GuestPort, _control, _logger);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new CleanroomException(ErrorCode.InvalidArgument, $"cannot listen on {request.Host}: it is not an address of the server's host");
        }
        catch (SocketException e)
        {
            throw new CleanroomException(ErrorCode.PortInUse, $"cannot listen on {request.Host}: {e.Message}");
        }
    }

    /// <summary>The exposures of a sandbox now, in the order they were made.</summary>
    public IReadOnlyList<ExposureInfo> Of(string sandboxId)
    {
        lock (_bySandbox)
            return _bySandbox.TryGetValue(sandboxId, out var list)
                ? list.Select(e => new ExposureInfo(e.Endpoint, e.GuestPort)).ToList()
                : [];
    }

    private void Close(string sandboxId)
    {
        List<TcpExposure>? list;
        lock (_bySandbox)
        {
            if (!_bySandbox.Remove(sandboxId, out list))
                return;
            _closing.RemoveAll(t => t.IsCompleted);
            _closing.Add(Task.WhenAll(list.Select(e => e.DisposeAsync().AsTask())));
        }
        _logger.LogInformation("sandbox {SandboxId} ended: closed {Count} exposed port(s)", sandboxId, list.Count);
    }

    public async ValueTask DisposeAsync()
    {
        _control.SandboxEnded -= Close;
        List<Task> closing;
        lock (_bySandbox)
        {
            closing = [.. _closing, .. _bySandbox.Values.SelectMany(l => l).Select(e => e.DisposeAsync().AsTask())];
            _bySandbox.Clear();
        }
        await Task.WhenAll(closing).ConfigureAwait(false);
    }
}
