# Empty dependencies file for validate_bench.
# This may be replaced when dependencies are built.
