using Cleanroom.Errors;

namespace Cleanroom.ControlPlane;

/// <summary>
/// Another server holds the state directory's lock: it is already running. A second server must not open the
/// store, because its restart reconciliation would tear down the first one's sandboxes.
/// </summary>
public sealed class StateDirectoryInUseException(string stateDirectory, Exception inner)
    : CleanroomException(ErrorCode.ConfigInvalid, $"state directory {stateDirectory} is in use by another cleanroom server", inner);
