using System.Runtime.InteropServices;
using System.Text;

namespace Cleanroom.Agent.Interop;

/// <summary>NUL-terminated UTF-8 strings and string arrays for calls that take char* and char**.</summary>
internal static unsafe class NativeStrings
{
    public static byte[] Utf8Z(string value)
    {
        if (value.Contains('\0'))
            throw new ArgumentException("a string passed to the kernel contains a NUL character");
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }
}

/// <summary>
/// A NULL-terminated char*[] in native memory (argv, envp). Native, not pinned managed memory, so it
/// stays valid across a GC and can be built before the exec helper stops touching the managed heap.
/// </summary>
internal sealed unsafe class NativeStringArray : IDisposable
{
    private byte** _array;
    private readonly int _count;

    public NativeStringArray(IReadOnlyList<string> values)
    {
        _count = values.Count;
        _array = (byte**)NativeMemory.AllocZeroed((nuint)(_count + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < _count; i++)
        {
            var bytes = NativeStrings.Utf8Z(values[i]);
            var native = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
            bytes.CopyTo(new Span<byte>(native, bytes.Length));
            _array[i] = native;
        }
    }

    public byte** Pointer => _array;

    public byte* this[int index] => _array[index];

    public void Dispose()
    {
        if (_array == null)
            return;
        for (var i = 0; i < _count; i++)
            NativeMemory.Free(_array[i]);
        NativeMemory.Free(_array);
        _array = null;
    }
}
