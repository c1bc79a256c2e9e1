# Empty dependencies file for dt_test_support.
# This may be replaced when dependencies are built.
