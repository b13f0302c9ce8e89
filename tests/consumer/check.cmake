# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Installs the built tophash into a scratch prefix, then configures, builds and
# runs the consumer project against it with find_package(tophash), the same
# program with tophash as an add_subdirectory, and with pkg-config flags;
# then the multithreaded program under each sanitizer in SANITIZERS
# (e.g. "thread|address,undefined")
# (a user's TSan or ASan build against the Release package must be clean).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${TOPHASH_BINARY_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)

# find_package's version check: the next minor version and the previous one
# must both be refused (0.x: minor versions may break the API).
foreach(v 0.3 0.1)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build-v${v}
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCONSUMER_REQUIRE_VERSION=${v}
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    message(FATAL_ERROR "find_package(tophash ${v}) accepted the installed package")
  endif()
endforeach()

# add_subdirectory: the source tree as a subproject.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR}/subdirectory -B ${WORK_DIR}/build-subdirectory
    -DTOPHASH_SOURCE_DIR=${TOPHASH_SOURCE_DIR} -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build-subdirectory)
run(${WORK_DIR}/build-subdirectory/consumer)

# pkg-config: a plain compiler command line from the installed tophash.pc.
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB_RECURSE pc_file ${prefix}/*/tophash.pc)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
execute_process(COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir}
                ${PKG_CONFIG} --cflags --libs tophash
                OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR pc_flags STREQUAL "")
  message(FATAL_ERROR "pkg-config found no tophash.pc under ${prefix}")
endif()
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run(${CXX} ${CONSUMER_SOURCE_DIR}/main.cpp ${pc_flags} -o ${WORK_DIR}/consumer-pkg-config)
run(${WORK_DIR}/consumer-pkg-config)
set(ENV{TSAN_OPTIONS} "halt_on_error=1 history_size=7")
set(ENV{ASAN_OPTIONS} "halt_on_error=1")
string(REPLACE "|" ";" sanitizers "${SANITIZERS}")  # '|'-separated: survives -D
foreach(san IN LISTS sanitizers)
  string(REPLACE "," "-" dir ${san})
  run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build-${dir}
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release
      -DCONSUMER_SANITIZE=${san})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build-${dir} --target sanitized)
  message(STATUS "running the ${san} build")
  run(${WORK_DIR}/build-${dir}/sanitized)
endforeach()
