"""Splitting one run over CI jobs (`--shard I/N`) and putting the parts back together
(`assay merge`): which shard runs what (partition.py), the shard a run is (spec.py), the
history it partitions by (durations.py), the part each shard writes (partial.py) and the
merge into the report one unsharded run would have made (merge.py).
"""
