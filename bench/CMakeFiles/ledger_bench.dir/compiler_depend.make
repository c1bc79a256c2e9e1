# Empty compiler generated dependencies file for ledger_bench.
# This may be replaced when dependencies are built.
