# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/tests/test_ledger_include-b12d07c.cmake")
include("/work/main/tests/test_validator_include-b12d07c.cmake")
include("/work/main/tests/test_ingest_include-b12d07c.cmake")
include("/work/main/tests/test_cli_include-b12d07c.cmake")
add_test([=[cli: independent python verifier of export]=] "bash" "/work/main/tests/cli/verify_export_test.sh" "/work/main/drugtrace" "/work/main/scripts/verify_export.py")
set_tests_properties([=[cli: independent python verifier of export]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;32;add_test;/work/main/tests/CMakeLists.txt;0;")
