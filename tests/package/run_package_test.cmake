# Driver for the package.* ctest cases: cmake -DACTION=... [-D...] -P run_package_test.cmake
#
# ACTION=install    wipe PREFIX, then cmake --install BUILD_DIR --prefix PREFIX
# ACTION=consumer   wipe BINARY_DIR, configure SOURCE_DIR (the consumer) with ARGS,
#                   build it, then run the executable it reports
# ACTION=configure  wipe BINARY_DIR, configure SOURCE_DIR with ARGS (nothing is built)
#
# Common: CONFIG (build configuration, may be empty), GENERATOR, MAKE_PROGRAM,
# ARGS (;-separated cache arguments; pass with "|" in place of ";").
# Any failing step ends the script with FATAL_ERROR, i.e. a non-zero exit code.
cmake_minimum_required(VERSION 3.16)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result COMMAND_ECHO STDOUT)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "command failed (${result}): ${command}")
  endif()
endfunction()

string(REPLACE "|" ";" ARGS "${ARGS}")
set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()

if(ACTION STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args})
  if(NOT EXISTS "${PREFIX}")
    message(FATAL_ERROR "cmake --install created nothing under ${PREFIX}")
  endif()
elseif(ACTION STREQUAL "consumer" OR ACTION STREQUAL "configure")
  file(REMOVE_RECURSE "${BINARY_DIR}")
  set(generator_args -G "${GENERATOR}")
  if(MAKE_PROGRAM)
    list(APPEND generator_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" ${generator_args} ${ARGS})
  if(ACTION STREQUAL "consumer")
    run("${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})
    set(path_file "${BINARY_DIR}/consumer-${CONFIG}.path")
    if(NOT EXISTS "${path_file}")
      message(FATAL_ERROR "the consumer did not write ${path_file}")
    endif()
    file(READ "${path_file}" executable)
    run("${executable}")
  endif()
else()
  message(FATAL_ERROR "unknown ACTION '${ACTION}'")
endif()
