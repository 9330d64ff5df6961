"""A Django site for the benchmarks: WarmBee plus a bare endpoint on the same framework."""
