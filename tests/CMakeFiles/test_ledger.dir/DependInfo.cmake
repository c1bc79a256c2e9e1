
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/ledger/checkpoint_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/checkpoint_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/checkpoint_test.cc.o.d"
  "/work/main/tests/ledger/hash_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/hash_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/hash_test.cc.o.d"
  "/work/main/tests/ledger/ledger_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/ledger_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/ledger_test.cc.o.d"
  "/work/main/tests/ledger/merkle_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/merkle_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/merkle_test.cc.o.d"
  "/work/main/tests/ledger/note_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/note_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/note_test.cc.o.d"
  "/work/main/tests/ledger/verify_test.cc" "tests/CMakeFiles/test_ledger.dir/ledger/verify_test.cc.o" "gcc" "tests/CMakeFiles/test_ledger.dir/ledger/verify_test.cc.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/tests/CMakeFiles/dt_test_support.dir/DependInfo.cmake"
  "/work/main/CMakeFiles/dt_ledger.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
