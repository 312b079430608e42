# Precompiled headers (IVSIM_PCH, on by default): the build time goes mostly
# into parsing the same heavy headers again in each translation unit
# (<systemc> and <tlm> in about half of them, <catch2/catch.hpp> in every
# test, nlohmann/json in sim/ and the scenario tests), which made CI's two
# builds (gcc, then clang with the sanitizers) the larger part of its run.
# Each header set is compiled once per build tree, by one target, and the
# others with the same flags reuse it (REUSE_FROM). A reuser must have every
# -D of the donor with the same value (the donor's macros come with its PCH),
# hence the donors: the lowest layer with the set, or a sourceless target
# with only the common flags (ivsim_test_pch). A file that #defines a
# SystemC or Catch2 configuration macro before its includes
# (SC_INCLUDE_DYNAMIC_PROCESSES, CATCH_CONFIG_RUNNER) is compiled without;
# so are the benchmarks (bench_world.h defines SC_INCLUDE_DYNAMIC_PROCESSES).
# The PCH includes every listed header into every file of the target, so a
# missing #include can go unnoticed: -DIVSIM_PCH=OFF builds without.
option(IVSIM_PCH "Precompile SystemC/TLM, Catch2 and the common std headers" ON)
if(NOT IVSIM_PCH)
  return()
endif()
if(CMAKE_VERSION VERSION_LESS 3.18)
  message(STATUS "IVSIM_PCH needs CMake 3.18: building without precompiled headers")
  return()
endif()

set(IVSIM_PCH_STD <algorithm> <array> <cmath> <cstdint> <cstdio> <cstdlib> <cstring> <fstream>
                  <functional> <map> <memory> <optional> <set> <sstream> <stdexcept> <string>
                  <vector> <fmt/format.h>)
set(IVSIM_PCH_SYSTEMC ${IVSIM_PCH_STD} <systemc> <tlm>)
set(IVSIM_PCH_SIM ${IVSIM_PCH_SYSTEMC} <nlohmann/json.hpp>)
set(IVSIM_PCH_TEST ${IVSIM_PCH_SIM} <catch2/catch.hpp>)

# ivsim_pch(<target> HEADERS <header>...) makes <target> the donor of a set;
# ivsim_pch(<target> REUSE_FROM <donor>) reuses the donor's.
function(ivsim_pch target mode)
  if(NOT TARGET ${target})
    return()
  endif()
  get_target_property(dir ${target} SOURCE_DIR)
  get_target_property(sources ${target} SOURCES)
  if(sources)
    foreach(src IN LISTS sources)
      get_filename_component(path "${src}" ABSOLUTE BASE_DIR "${dir}")
      if(path MATCHES "\\.cpp$" AND EXISTS "${path}")
        file(STRINGS "${path}" defines REGEX "^#define (SC_INCLUDE_|CATCH_CONFIG_)")
        if(defines)
          set_source_files_properties("${path}" TARGET_DIRECTORY ${target}
                                      PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
        endif()
      endif()
    endforeach()
  endif()
  if(mode STREQUAL "REUSE_FROM")
    target_precompile_headers(${target} REUSE_FROM ${ARGN})
  else()
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# Plain-C++ cores: no SystemC (they do not link it).
ivsim_pch(ivsim_cores HEADERS ${IVSIM_PCH_STD})
ivsim_pch(ivsim_models HEADERS ${IVSIM_PCH_SYSTEMC})
ivsim_pch(ivsim_workloads REUSE_FROM ivsim_models)
ivsim_pch(ivsim_platforms REUSE_FROM ivsim_models)
# From sim/ up every target has IVSIM_VERSION (ivsim_sim's public -D).
ivsim_pch(ivsim_sim HEADERS ${IVSIM_PCH_SIM})
ivsim_pch(ivsim REUSE_FROM ivsim_sim)
ivsim_pch(ivsim_fuzz_targets REUSE_FROM ivsim_sim)
foreach(t scenario_yaml acrn_scenario_xml board_xml set_assignments guest_traffic)
  ivsim_pch(${t}_fuzzer REUSE_FROM ivsim_sim)
endforeach()
if(TARGET unit_tests)
  # The test executables differ in their private -D (fixture folders), so
  # their set is compiled by a target with none of them.
  file(CONFIGURE OUTPUT ivsim_test_pch.cpp CONTENT "// Compiles the tests' precompiled header (cmake/pch.cmake).\n")
  add_library(ivsim_test_pch OBJECT EXCLUDE_FROM_ALL ${CMAKE_CURRENT_BINARY_DIR}/ivsim_test_pch.cpp)
  target_link_libraries(ivsim_test_pch PRIVATE ivsim_sim Catch2::Catch2)
  ivsim_pch(ivsim_test_pch HEADERS ${IVSIM_PCH_TEST})
  foreach(t unit_tests model_tests scenario_tests)
    ivsim_pch(${t} REUSE_FROM ivsim_test_pch)
  endforeach()
endif()
