# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Every header of the library compiles on its own, first in a translation
# unit: none relies on what another header happened to include before it.
# A backend for another architecture (SKIP, a ;-list of paths) cannot.
#   cmake -DCXX=<compiler> -DSTD=<17|20> -DROOT=<source dir> -DWORK=<dir>
#         [-DSKIP=simd/tophash/simd/group_neon.hpp] -P check.cmake
cmake_minimum_required(VERSION 3.16)  # IN_LIST
set(_dirs include simd concurrency platform)
set(_flags -std=c++${STD} -fsyntax-only -Wall -Wextra)
foreach(_d IN LISTS _dirs)
  list(APPEND _flags -I${ROOT}/${_d})
endforeach()
file(MAKE_DIRECTORY ${WORK})
set(_failed "")
set(_count 0)
foreach(_d IN LISTS _dirs)
  file(GLOB_RECURSE _headers RELATIVE ${ROOT}/${_d} ${ROOT}/${_d}/*.hpp)
  foreach(_h IN LISTS _headers)
    if("${_d}/${_h}" IN_LIST SKIP)
      continue()
    endif()
    string(MAKE_C_IDENTIFIER ${_h} _id)
    set(_tu ${WORK}/${_id}.cpp)
    file(WRITE ${_tu} "#include \"${_h}\"\n")
    execute_process(COMMAND ${CXX} ${_flags} ${_tu}
      RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
    math(EXPR _count "${_count} + 1")
    if(NOT _rc EQUAL 0)
      list(APPEND _failed ${_d}/${_h})
      message("${_d}/${_h} does not compile alone:\n${_out}")
    endif()
  endforeach()
endforeach()
if(_failed)
  message(FATAL_ERROR "headers that do not compile alone: ${_failed}")
endif()
message("${_count} headers compile alone")
