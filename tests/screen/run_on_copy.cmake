# Runs COMMAND (a ;-list) on a fresh copy of FIXTURE_DB at COPY_DB, in place of the fixture:
# screening records each payment it has seen, so a test run on the fixture itself would find its
# own payment "repeated" when run again (ctest --repeat) without the fixture made anew.
# Run with cmake -P; the command's output passes through for the test's regular expression.
file(REMOVE_RECURSE ${COPY_DB})
file(COPY ${FIXTURE_DB}/ DESTINATION ${COPY_DB})
string(REPLACE "@DB@" "${COPY_DB}" command "${COMMAND}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "failed (${rc}): ${command}")
endif()
