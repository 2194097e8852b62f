// The real-server tests share one server and take turns (see ServerFixture); the unit tests are quick either way.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
