# Installs the built tophash into a scratch prefix, then configures, builds and
# runs the consumer project against it with find_package(tophash): the plain
# program, then the multithreaded one under each sanitizer in SANITIZERS
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
