
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/bench/ledger_bench.cc" "bench/CMakeFiles/ledger_bench.dir/ledger_bench.cc.o" "gcc" "bench/CMakeFiles/ledger_bench.dir/ledger_bench.cc.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/CMakeFiles/dt_ledger.dir/DependInfo.cmake"
  "/work/main/CMakeFiles/dt_validator.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
