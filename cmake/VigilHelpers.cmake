# vigil_add_library(name SRCS ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Creates the static library vigil_<name> with the alias vigil::<name>, C++20, our warnings,
# and include/ as its public include directory. Internal headers stay beside their .cc files.
function(vigil_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(VIGIL_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(VIGIL_SANITIZE)
    string(REPLACE ";" "," _san "${VIGIL_SANITIZE}")
    target_compile_options(${target} PRIVATE -fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${_san})
  endif()
endfunction()

function(vigil_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SRCS})
  add_library(vigil::${name} ALIAS vigil_${name})
  target_compile_features(vigil_${name} PUBLIC cxx_std_20)
  target_include_directories(vigil_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(vigil_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  vigil_set_warnings(vigil_${name})
endfunction()

# vigil_add_executable(name SRCS ... [DEPS ...])
function(vigil_add_executable name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  vigil_set_warnings(${name})
endfunction()

# vigil_add_test(name SRCS ... DEPS ... [LABELS ...])
# One GoogleTest binary; each TEST becomes its own ctest entry.
function(vigil_add_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;LABELS" ${ARGN})
  vigil_add_executable(${name} SRCS ${ARG_SRCS} DEPS ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# vigil_add_benchmark(name SRCS ... DEPS ...)
function(vigil_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  vigil_add_executable(${name} SRCS ${ARG_SRCS} DEPS ${ARG_DEPS} benchmark::benchmark)
  target_compile_definitions(${name} PRIVATE VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

# vigil_add_fuzz_target(name SRCS ... DEPS ... CORPUS dir)
# A fuzz target: SRCS define LLVMFuzzerTestOneInput (docs/fuzzing.md). Built two ways:
# - by default, linked with our own driver (tests/fuzz/fuzz_driver.cc) and registered as the
#   ctest fuzz_<name> (label fuzz): it replays every file of CORPUS, then a seeded, bounded
#   number of deterministic mutations of them, so every CI run checks the parser again;
# - with VIGIL_FUZZ=ON (clang, the `fuzz` preset), linked with libFuzzer instead; the ctest then
#   runs libFuzzer on a copy of the corpus for a few seconds.
# The driver's budget is a few seconds so the fuzz label stays cheap in the whole suite.
function(vigil_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "CORPUS" "SRCS;DEPS" ${ARGN})
  if(VIGIL_FUZZ)
    vigil_add_executable(${name} SRCS ${ARG_SRCS} DEPS ${ARG_DEPS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(_work ${CMAKE_CURRENT_BINARY_DIR}/corpus-work/${name})
    file(MAKE_DIRECTORY ${_work})
    # New inputs go to the first folder (in the build tree); the seed corpus stays read-only.
    add_test(NAME fuzz_${name}
      COMMAND ${name} -max_total_time=4 -print_final_stats=1 ${_work} ${ARG_CORPUS})
  else()
    vigil_add_executable(${name} SRCS ${ARG_SRCS} ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_driver.cc
      DEPS ${ARG_DEPS})
    add_test(NAME fuzz_${name} COMMAND ${name} --seconds 4 ${ARG_CORPUS})
  endif()
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  set_tests_properties(fuzz_${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()
