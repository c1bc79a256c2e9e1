# Empty dependencies file for code_parse_bench.
# This may be replaced when dependencies are built.
