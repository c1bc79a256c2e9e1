
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/support/catch_main.cc" "tests/CMakeFiles/dt_test_support.dir/support/catch_main.cc.o" "gcc" "tests/CMakeFiles/dt_test_support.dir/support/catch_main.cc.o.d"
  "/work/main/tests/support/ledger_fixture.cc" "tests/CMakeFiles/dt_test_support.dir/support/ledger_fixture.cc.o" "gcc" "tests/CMakeFiles/dt_test_support.dir/support/ledger_fixture.cc.o.d"
  "/work/main/tests/support/process.cc" "tests/CMakeFiles/dt_test_support.dir/support/process.cc.o" "gcc" "tests/CMakeFiles/dt_test_support.dir/support/process.cc.o.d"
  "/work/main/tests/support/temp_dir.cc" "tests/CMakeFiles/dt_test_support.dir/support/temp_dir.cc.o" "gcc" "tests/CMakeFiles/dt_test_support.dir/support/temp_dir.cc.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/CMakeFiles/dt_ledger.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
