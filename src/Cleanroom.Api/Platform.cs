// Unix sockets with file modes, statx and geteuid: the API server and client are Linux-only, like the rest of Cleanroom.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
