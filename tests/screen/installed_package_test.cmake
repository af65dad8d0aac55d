# Installs the vigil_sdk component into WORK_DIR/prefix, builds SOURCE_DIR (examples/consumer)
# against it and runs both consumers on FIXTURE_DB. Run with cmake -P (see CMakeLists.txt).
# CONSUMER_FLAGS: compile and link flags of the consumers (the sanitizer of a sanitized build).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component vigil_sdk --prefix ${prefix})
foreach(f include/vigil/screener.h include/vigil/vigil.h lib/cmake/vigil/vigilConfig.cmake
          lib/pkgconfig/vigil.pc lib/libvigil.a)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB shared ${prefix}/lib/libvigil.so*)
if(NOT shared)
  message(FATAL_ERROR "not installed: lib/libvigil.so")
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
    "-DCMAKE_C_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)

# On a copy of the fixture: screening records the payments it sees, and a second run (ctest
# --repeat) would find them repeated.
set(db ${WORK_DIR}/db)
file(COPY ${FIXTURE_DB}/ DESTINATION ${db})
run(${WORK_DIR}/build/consumer_cpp ${db} K1 370203195208151032 3702 2024-07 342150
    6222000011112222)
if(NOT run_output MATCHES "action=BLOCK risk=1.0000 patterns=DECEASED_PAID")
  message(FATAL_ERROR "consumer_cpp: unexpected output:\n${run_output}")
endif()
run(${WORK_DIR}/build/consumer_c ${db} K2 370202195003011013 3702 2024-07 342150
    6222000011112222)
if(NOT run_output MATCHES "action=PAY risk=0.0000 repeated=0")
  message(FATAL_ERROR "consumer_c: unexpected output:\n${run_output}")
endif()

# pkg-config sees the package too.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
  run(${PKG_CONFIG} --cflags --libs vigil)
  if(NOT run_output MATCHES "-lvigil")
    message(FATAL_ERROR "pkg-config: unexpected output: ${run_output}")
  endif()
endif()
message(STATUS "installed package OK")
