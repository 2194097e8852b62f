// The integration tests time kernel retransmissions and share two CPU cores with other work; running
// classes one at a time keeps their outcomes independent of load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
