using System.Text;

namespace Cleanroom.Backends.Gvisor;

/// <summary>Bounded-memory capture of a text stream's last bytes (runsc's stderr for error messages).</summary>
internal sealed class TextTail(int capacity)
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public void Append(string text)
    {
        lock (_gate)
        {
            _text.Append(text);
            if (_text.Length > capacity * 2)
                _text.Remove(0, _text.Length - capacity);
        }
    }

    public override string ToString()
    {
        lock (_gate)
            return _text.Length <= capacity ? _text.ToString() : _text.ToString(_text.Length - capacity, capacity);
    }
}
