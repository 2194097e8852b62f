// Every test class here runs a real server; they take turns so that their sandboxes, networks and timings never
// compete with each other (each server still owns its own table, prefix and log group).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
