using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace Cleanroom.Agent.Client;

/// <summary>
/// The consumer's view of an execution's output: a ChannelReader whose every read hands credit back
/// to the agent. The underlying channel is unbounded in type but bounded in fact by the window the
/// <see cref="OutputCreditLedger"/> enforces.
/// </summary>
internal sealed class CreditedOutputReader(ChannelReader<OutputChunk> inner, OutputCreditLedger ledger) : ChannelReader<OutputChunk>
{
    public override Task Completion => inner.Completion;

    public override bool CanCount => inner.CanCount;

    public override int Count => inner.Count;

    public override bool TryRead([MaybeNullWhen(false)] out OutputChunk item)
    {
        if (!inner.TryRead(out item))
            return false;
        ledger.Consumed(item.Data.Length);
        return true;
    }

    public override bool TryPeek([MaybeNullWhen(false)] out OutputChunk item) => inner.TryPeek(out item);

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        inner.WaitToReadAsync(cancellationToken);
}
